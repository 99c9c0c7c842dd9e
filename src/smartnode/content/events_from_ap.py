"""Remote Event documents → KindTerms (pure, tolerant)."""

from __future__ import annotations

from typing import Any

from smartnode.content.terms import EVENT, KindTerms


def event_terms(doc: dict[str, Any]) -> KindTerms:
    """The times and place of a remote Event."""
    return KindTerms(kind=EVENT)
