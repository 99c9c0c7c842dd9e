"""The board's address read (pure): the facets a reader chose, the cursor of the page and its
number, each held to the shape the form and the page links give it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from smartnode.content.board import CLOSING, NEWEST

_TEXT = 200
#: Each facet: the longest value taken and, for some, the shape it must have.
_SHAPES: dict[str, tuple[int, re.Pattern[str] | None]] = {
    "sector": (40, None),
    "skill": (_TEXT, None),
    "country": (2, re.compile(r"[A-Za-z]{2}")),
    "city": (_TEXT, None),
    "remote": (3, re.compile(r"yes|no")),
    "paid": (3, re.compile(r"yes|no")),
    "language": (3, re.compile(r"[a-z]{2,3}")),
    "deadline": (10, None),
    "sort": (7, re.compile(f"{NEWEST}|{CLOSING}")),
}
LAST_PAGE = 100_000


@dataclass(frozen=True, slots=True)
class Facets:
    """The board form's values as the reader sent them."""

    sector: str = ""
    skill: str = ""
    country: str = ""
    city: str = ""
    remote: str = ""
    paid: str = ""
    language: str = ""
    deadline: str = ""
    sort: str = NEWEST

    def params(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k)}


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """A board address: the facets, the cursor it pages after (or before) and its number."""

    facets: Facets
    after: str | None = None
    before: str | None = None
    page: int = 1


def _facet(params: Mapping[str, str], name: str) -> str | None:
    """The facet's value ("" when not given); None when it is not one the form gives."""
    value = params.get(name, "")
    longest, shape = _SHAPES[name]
    if len(value) > longest or (value and shape is not None and not shape.fullmatch(value)):
        return None
    return value


def _page(raw: str) -> int | None:
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        return None
    number = int(raw)
    return number if 1 <= number <= LAST_PAGE else None


def board_query(params: Mapping[str, str]) -> BoardQuery | None:
    """The board address of a query string's values; None when one of them is not one the
    board's form or links give (too long, or not of its shape)."""
    values = {name: _facet(params, name) for name in _SHAPES}
    after, before = params.get("after") or None, params.get("before") or None
    page = _page(params.get("page", ""))
    if any(v is None for v in values.values()) or page is None:
        return None
    if any(cursor is not None and len(cursor) > _TEXT for cursor in (after, before)):
        return None
    chosen = {name: value or "" for name, value in values.items()}
    chosen["country"] = chosen["country"].upper()
    chosen["sort"] = chosen["sort"] or NEWEST
    return BoardQuery(Facets(**chosen), after, before, page)
