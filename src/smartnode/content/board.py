"""The call board: open calls from this node and every node we store calls of, newest first,
with simple filters and keyset paging (cost bounded by the page, not by the board)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.terms import CALL
from smartnode.storage.models import ContentObject

#: Rows read per round when filters are checked in Python (skills, languages).
WINDOW = 200
#: Rounds at most per page: a page with rare matches ends early with a `next` cursor.
ROUNDS = 5


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """What a reader asks the board for (all optional)."""

    country: str | None = None
    remote: bool | None = None
    skill: str | None = None
    language: str | None = None
    q: str | None = None


def _matches(obj: ContentObject, wanted: BoardFilter) -> bool:
    terms: dict[str, Any] = obj.extra.get("call", {}) if isinstance(obj.extra, dict) else {}
    skills = {s.get("uri") for s in terms.get("skills", []) if isinstance(s, dict)}
    if wanted.skill and wanted.skill not in skills and wanted.skill != terms.get("occupation"):
        return False
    return not wanted.language or wanted.language in terms.get("languages", [])


def _query(wanted: BoardFilter, now: datetime, before: int | None) -> Any:
    query = select(ContentObject).where(
        ContentObject.kind == CALL,
        ContentObject.state == "open",
        ContentObject.deleted_at.is_(None),
        ContentObject.visibility == "public",
        or_(ContentObject.closes_at.is_(None), ContentObject.closes_at > now),
    )
    call = ContentObject.extra["call"]
    if wanted.country:
        query = query.where(call["country"].as_string() == wanted.country.upper())
    if wanted.remote is not None:
        query = query.where(call["remote"].as_boolean() == wanted.remote)
    if wanted.q:
        query = query.where(
            func.lower(ContentObject.content).contains(wanted.q.lower(), autoescape=True)
        )
    for needle in (wanted.skill, wanted.language):
        if needle:  # a coarse pre-filter; _matches decides
            query = query.where(
                cast(ContentObject.extra, Text).contains(f'"{needle}"', autoescape=True)
            )
    if before is not None:
        query = query.where(ContentObject.id < before)
    return query.order_by(ContentObject.id.desc())


async def board_page(
    session: AsyncSession, wanted: BoardFilter, now: datetime, *, limit: int, before: int | None
) -> tuple[Sequence[ContentObject], int | None]:
    """One page of open calls and the cursor of the next page (None on the last)."""
    found: list[ContentObject] = []
    position = before
    for _ in range(ROUNDS):
        rows = (await session.scalars(_query(wanted, now, position).limit(WINDOW))).all()
        for row in rows:
            if _matches(row, wanted):
                found.append(row)
            if len(found) > limit:
                return found[:limit], found[limit - 1].id
        if len(rows) < WINDOW:
            return found, None
        position = rows[-1].id
    return found, position
