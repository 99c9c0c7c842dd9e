"""Our open calls → AS2 Note with FEP-0837 proposal properties (pure)."""

from __future__ import annotations

from typing import Any

from smartnode.content.notes_to_ap import note_to_ap
from smartnode.storage.models import ContentObject


def call_to_ap(obj: ContentObject, author_uri: str, *, context: bool = True) -> dict[str, Any]:
    """A live call as served at its id and embedded in Create/Update."""
    return note_to_ap(obj, author_uri, context=context)
