"""Any of our content objects → its AS2 document, by kind (pure)."""

from __future__ import annotations

from typing import Any

from smartnode.content.calls_to_ap import call_to_ap
from smartnode.content.events_to_ap import event_to_ap
from smartnode.content.notes_to_ap import note_to_ap
from smartnode.content.terms import CALL, EVENT
from smartnode.storage.models import ContentObject


def object_to_ap(obj: ContentObject, author_uri: str, *, context: bool = True) -> dict[str, Any]:
    """A live Note, Article, Event or call as served at its id and embedded in activities."""
    if obj.kind == EVENT:
        return event_to_ap(obj, author_uri, context=context)
    if obj.kind == CALL:
        return call_to_ap(obj, author_uri, context=context)
    return note_to_ap(obj, author_uri, context=context)
