"""The call board: open calls from this node and every node we store calls of, newest published
first (or soonest deadline first), with simple filters and keyset paging on (sort key, row id):
the cost is bounded by the page, not by the board, and a page boundary never moves when calls
arrive or change. `q` matches the words of a call's plain text in the search index, never its
markup."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, Text, and_, cast, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.call_terms import call_terms, open_calls, stored_term
from smartnode.content.terms import CALL
from smartnode.errors import ValidationFailed
from smartnode.matching.search_text import words
from smartnode.matching.terms import fold
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_search import SearchDocument

#: Rows read per round when filters are checked in Python (skills, languages).
WINDOW = 200
#: Rounds at most per page: a page with rare matches ends early with a `next` cursor.
ROUNDS = 5
NEWEST: Final = "newest"
CLOSING: Final = "closing"
BoardSort = Literal["newest", "closing"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^([nc]):(-?\d{1,18})?:(\d{1,19})$")
_MAX_ID = 2**63 - 1  # BIGINT


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """What a reader asks the board for (all optional)."""

    country: str | None = None
    remote: bool | None = None
    skill: str | None = None
    language: str | None = None
    q: str | None = None
    sector: str | None = None  # a sector or hashtag name, `#` and case ignored
    city: str | None = None
    paid: bool | None = None
    closes_by: datetime | None = None  # the deadline no later than this


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ends: the last call's sort key (published_at or closes_at) and row id."""

    key: datetime | None
    id: int


#: A call on the board with the project (or member) that published it.
Row = tuple[ContentObject, Actor]


@dataclass(frozen=True, slots=True)
class Scanned:
    """One page of calls, where the scan goes on (None when nothing is left that way), and
    the soonest deadline among the page's calls and the one past them: the page stays the
    same until then, unless a call is written."""

    rows: list[Row]
    position: Position | None
    changes_at: datetime | None


def position_of(obj: ContentObject, sort: str) -> Position:
    """Where `obj` stands in the board's order."""
    return Position(obj.published_at if sort == NEWEST else obj.closes_at, obj.id)


def cursor_out(sort: str, position: Position) -> str:
    """The opaque `after` value of the page after `position` (pure)."""
    micros = "" if position.key is None else str((position.key - _EPOCH) // timedelta(0, 0, 1))
    raw = f"{sort[0]}:{micros}:{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_in(sort: str, after: str | None) -> Position | None:
    """The position an `after` value stands for; ValidationFailed unless this board, in this
    sort, gave it (pure)."""
    if not after:
        return None
    try:
        raw = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode("ascii")
        found = _CURSOR.match(raw)
        if found is not None and found[1] == sort[0] and (sort != NEWEST or found[2]):
            key = None if found[2] is None else _EPOCH + timedelta(microseconds=int(found[2]))
            position = Position(key, int(found[3]))
            if position.id <= _MAX_ID and cursor_out(sort, position) == after:
                return position
    except (binascii.Error, ValueError, OverflowError):
        pass
    raise ValidationFailed(f"after: {after[:40]!r} is not a cursor from this board's `next`")


def tag_names(obj: ContentObject, extra: Sequence[str] = ()) -> set[str]:
    """The folded names of a call's hashtags and `extra` names (sectors), without `#`."""
    names = [str(t.get("name", "")) for t in obj.tags if t.get("type") == "Hashtag"]
    return {fold(name.lstrip("#")) for name in [*names, *extra] if name}


def _checked_in_python(wanted: BoardFilter) -> bool:
    """Whether `_matches` has anything to check (else every row the query reads is shown)."""
    return any((wanted.skill, wanted.sector, wanted.city, wanted.paid is not None,
                wanted.language))  # fmt: skip


def _matches(obj: ContentObject, wanted: BoardFilter) -> bool:
    terms = call_terms(obj)
    if wanted.skill and wanted.skill not in terms.skill_uris and wanted.skill != terms.occupation:
        return False
    if wanted.sector and fold(wanted.sector.lstrip("#")) not in tag_names(obj, terms.sectors):
        return False
    if wanted.city and fold(terms.city or "") != fold(wanted.city):
        return False
    if wanted.paid is not None and (terms.paid is not None) != wanted.paid:
        return False
    return not wanted.language or wanted.language in terms.language_codes


def _text_has_words(q: str) -> ColumnElement[bool]:
    """Every word of `q` is in the call's plain text (title, text, skills, place), case and
    accents ignored: the search index's `folded` column, never the HTML."""
    terms = [fold(word) for word in words(q)]
    if not any(terms):
        return false()
    return exists().where(
        SearchDocument.source == "object",
        SearchDocument.ref == ContentObject.id,
        *(SearchDocument.folded.contains(term, autoescape=True) for term in terms if term),
    )


def _after(sort: str, at: Position) -> ColumnElement[bool]:
    """Rows past `at` in the board's order."""
    row_id = ContentObject.id
    if sort == NEWEST:
        published = ContentObject.published_at  # `<=` first: a bound the index can use
        return and_(published <= at.key, or_(published < at.key, row_id < at.id))
    closes = ContentObject.closes_at
    if at.key is None:  # deadline-less calls come last, oldest row first
        return and_(closes.is_(None), row_id > at.id)
    return or_(closes > at.key, and_(closes == at.key, row_id > at.id), closes.is_(None))


def _before(sort: str, at: Position) -> ColumnElement[bool]:
    """Rows ahead of `at` in the board's order (for a previous page)."""
    row_id = ContentObject.id
    if sort == NEWEST:
        published = ContentObject.published_at
        return and_(published >= at.key, or_(published > at.key, row_id > at.id))
    closes = ContentObject.closes_at
    if at.key is None:
        return or_(closes.is_not(None), row_id < at.id)
    return or_(closes < at.key, and_(closes == at.key, row_id < at.id))


def _ordered(query: Any, sort: str, backwards: bool) -> Any:
    """The board's order, or (`backwards`) its reverse."""
    if sort == NEWEST:
        keys = (ContentObject.published_at, ContentObject.id)
        return query.order_by(*(k.asc() if backwards else k.desc() for k in keys))
    if backwards:
        return query.order_by(ContentObject.closes_at.desc().nulls_first(), ContentObject.id.desc())
    return query.order_by(ContentObject.closes_at.asc().nulls_last(), ContentObject.id.asc())


def _query(
    wanted: BoardFilter, now: datetime, sort: str, at: Position | None, backwards: bool = False
) -> Any:
    query = (
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(
            ContentObject.kind == CALL,
            open_calls(now),
            ContentObject.deleted_at.is_(None),
            ContentObject.visibility == "public",
        )
    )
    if wanted.country:
        query = query.where(stored_term("country").as_string() == wanted.country.upper())
    if wanted.remote is not None:
        query = query.where(stored_term("remote").as_boolean() == wanted.remote)
    if wanted.q:
        query = query.where(_text_has_words(wanted.q))
    if wanted.closes_by is not None:
        query = query.where(ContentObject.closes_at <= wanted.closes_by)
    for needle in (wanted.skill, wanted.language):
        if needle:  # a coarse pre-filter; _matches decides
            query = query.where(
                cast(ContentObject.extra, Text).contains(f'"{needle}"', autoescape=True)
            )
    if at is not None:
        query = query.where(_before(sort, at) if backwards else _after(sort, at))
    return _ordered(query, sort, backwards)


def _soonest(rows: Sequence[Row]) -> datetime | None:
    """The soonest deadline among `rows` (None when none has one)."""
    return min((obj.closes_at for obj, _ in rows if obj.closes_at is not None), default=None)


async def _scan(
    session: AsyncSession, wanted: BoardFilter, now: datetime, *, limit: int,
    start: Position | None, sort: str, backwards: bool,
) -> Scanned:  # fmt: skip
    """Up to `limit` matching calls from `start` on, in the order scanned."""
    if not _checked_in_python(wanted):  # SQL decides alone: read the page and one more row
        query = _query(wanted, now, sort, start, backwards).limit(limit + 1)
        read = [(obj, author) for obj, author in (await session.execute(query)).all()]
        page = read[:limit]
        more = position_of(page[-1][0], sort) if len(read) > limit else None
        return Scanned(page, more, _soonest(read))
    found: list[Row] = []
    position = start
    for _ in range(ROUNDS):
        query = _query(wanted, now, sort, position, backwards).limit(WINDOW)
        rows = (await session.execute(query)).all()
        for obj, author in rows:
            if _matches(obj, wanted):
                found.append((obj, author))
            if len(found) > limit:
                return Scanned(found[:limit], position_of(found[limit - 1][0], sort),
                               _soonest(found))  # fmt: skip
        if len(rows) < WINDOW:
            return Scanned(found, None, _soonest(found))
        position = position_of(rows[-1][0], sort)
    return Scanned(found, position, _soonest(found))


async def board_page(
    session: AsyncSession,
    wanted: BoardFilter,
    now: datetime,
    *,
    limit: int,
    after: Position | None,
    sort: BoardSort = NEWEST,
) -> Scanned:
    """One page of open calls with their authors and the position of the next page (None on
    the last)."""
    return await _scan(session, wanted, now, limit=limit, start=after, sort=sort,
                       backwards=False)  # fmt: skip


async def board_page_before(
    session: AsyncSession,
    wanted: BoardFilter,
    now: datetime,
    *,
    limit: int,
    before: Position,
    sort: BoardSort = NEWEST,
) -> Scanned:
    """The page of open calls just ahead of `before`, in the board's order, and the position
    of the page ahead of it (None when this page is the first)."""
    found = await _scan(session, wanted, now, limit=limit, start=before, sort=sort,
                        backwards=True)  # fmt: skip
    return Scanned(list(reversed(found.rows)), found.position, found.changes_at)
