"""Remote open calls (Notes with FEP-0837 properties) → KindTerms (pure, tolerant)."""

from __future__ import annotations

from typing import Any

from smartnode.content.terms import CALL, KindTerms


def is_call(doc: dict[str, Any]) -> bool:
    """True when a Note carries FEP-0837 proposal properties."""
    return False


def call_terms(doc: dict[str, Any]) -> KindTerms:
    """The terms of a remote call."""
    return KindTerms(kind=CALL)
