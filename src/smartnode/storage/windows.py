"""Keyset windows over a row id, as Mastodon pages its lists: `max_id` (older than),
`since_id` (newer than, newest first) and `min_id` (just newer than, oldest first), at most
`limit` rows. Every list is handed back newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar, TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True, slots=True)
class IdWindow:
    """Which rows of a list, by id: those below `max_id` and above `since_id` or `min_id`."""

    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None

    @property
    def upward(self) -> bool:
        """True when the window climbs from `min_id` (the rows just newer than it)."""
        return self.min_id is not None


def windowed(query: Select[*Ts], column: InstrumentedAttribute[int], window: IdWindow,
             *, scan: int | None = None) -> Select[*Ts]:  # fmt: skip
    """`query` narrowed to the window, ordered and limited (`scan` rows instead of `limit`
    when the caller filters further in Python)."""
    if window.max_id is not None:
        query = query.where(column < window.max_id)
    if window.since_id is not None:
        query = query.where(column > window.since_id)
    if window.min_id is not None:
        query = query.where(column > window.min_id)
    order = column.asc() if window.upward else column.desc()
    return query.order_by(order).limit(scan or window.limit)


def newest_first(rows: Sequence[T], window: IdWindow) -> list[T]:
    """The rows of `windowed`, at most `limit`, newest first."""
    kept = list(rows[: window.limit])
    return kept[::-1] if window.upward else kept
