"""`N_`: marks an English message for the gettext catalogs where it is defined, in any room;
the edge that shows it translates it (web/i18n.py)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for the catalogs; returns it unchanged."""
    return message
