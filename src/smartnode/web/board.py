"""The board page (/board): the open calls of this node and of every peer node, with facets as
a GET form (sector, skill, country and city, remote, paid, language, deadline) and page links.
The board's query is content/board.py's, through the call use cases; what a page shows is kept
as read (web/view_cache.py) until a call, a project or a skill label changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import Settings
from smartnode.content import call_cases
from smartnode.content.board import (
    CLOSING,
    NEWEST,
    BoardFilter,
    BoardSort,
    Position,
    cursor_in,
    cursor_out,
    position_of,
)
from smartnode.errors import ValidationFailed
from smartnode.matching.taxonomy import lookup_label
from smartnode.matching.terms import LANGUAGES
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_matching import SkillLabel
from smartnode.web.board_query import BoardQuery, Facets, board_query
from smartnode.web.call_views import call_card, country_name
from smartnode.web.formats import language_label
from smartnode.web.i18n import N_, current_language, gettext, using
from smartnode.web.page_cache import cached_page
from smartnode.web.pages import error_page, render
from smartnode.web.view_cache import view_cache
from smartnode.web.viewer import request_language

PAGE_SIZE = 20
#: The countries of the cooperative's nodes.
COUNTRIES = ("BE", "FR", "NL", "IT", "ES", "SE", "DE", "AT")
SECTOR_NAMES = {
    "performing arts": N_("performing arts"), "music": N_("music"), "film": N_("film"),
    "design": N_("design"), "games": N_("games"), "architecture": N_("architecture"),
    "education": N_("education"), "sustainability": N_("sustainability"), "tech": N_("tech"),
    "events": N_("events"), "media": N_("media"),
}  # fmt: skip
#: What a board page is read from: calls, their projects, and the labels a skill is named by.
TABLES = frozenset({ContentObject.__tablename__, Actor.__tablename__, SkillLabel.__tablename__})
_BAD_LINK = N_("This page link is not valid.")


def add_hot_routes(app: FastAPI) -> None:
    """The board as a plain route ahead of every router: the cheapest match, no Depends."""
    app.router.add_route("/board", board_page, methods=["GET"], include_in_schema=False)


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _deadline(value: str) -> datetime | None:
    """The end of the day `value` (YYYY-MM-DD), UTC; ValidationFailed when not a date."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise ValidationFailed(N_("The deadline is not a date.")) from error
    return datetime.combine(day, time(), UTC) + timedelta(days=1)


async def _skill_uri(session: AsyncSession, text: str, language: str) -> str | None:
    """An ESCO URI as given, else the skill labelled `text` in the page's language or English."""
    if not text or text.startswith(("http://", "https://")):
        return text or None
    for each in dict.fromkeys((language, "en")):
        found = await lookup_label(session, text, each)
        if found:
            return found
    return None


def _choices() -> dict[str, Any]:
    """The options of the form's lists, named in the page's language."""
    return dict(_choices_in(current_language.get()))


@lru_cache(maxsize=16)
def _choices_in(language: str) -> tuple[tuple[str, Any], ...]:
    """The form's lists in `language` (the page's, current), made once per language."""
    return (
        ("sectors", tuple((key, gettext(name)) for key, name in SECTOR_NAMES.items())),
        ("countries", tuple(sorted(((c, country_name(c)) for c in COUNTRIES),
                                   key=lambda p: p[1]))),
        ("languages", tuple((code, language_label(code)) for code in LANGUAGES)),
    )  # fmt: skip


def _page_url(facets: Facets, after: str | None, page: int, way: str = "after") -> str:
    """The board page `page` with the same facets: after (or, `way`, before) a cursor."""
    query = facets.params()
    if after:
        query |= {way: after, "page": str(page)}
    return "/board" + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True, slots=True)
class _Shown:
    """What a board page shows of the database, in its language: the calls' cards (read
    only) and the links to the pages before and after it."""

    cards: tuple[dict[str, Any], ...] = ()
    next_url: str | None = None
    prev_url: str | None = None


def _links(
    facets: Facets, page: int, rows: list[call_cases.CallView], last: Position | None,
    ahead: Position | None, backwards: bool,
) -> tuple[str | None, str | None]:  # fmt: skip
    """The next page (after its last call) and the previous one: the first page from page
    2, else the page ahead of this one's first call."""
    sort = facets.sort
    if backwards:
        last = position_of(rows[-1].obj, sort) if rows else None
    elif rows and page > 1:
        ahead = position_of(rows[0].obj, sort)
    nxt = _page_url(facets, cursor_out(sort, last), page + 1) if last else None
    if page <= 1 or (backwards and ahead is None):
        prev = None
    elif page == 2 or ahead is None:
        prev = _page_url(facets, None, 1)
    else:
        prev = _page_url(facets, cursor_out(sort, ahead), page - 1, "before")
    return nxt, prev


async def _filter(session: AsyncSession, facets: Facets, language: str) -> BoardFilter | None:
    """The board's filter; None when the skill names no known skill (no call can match)."""
    skill = await _skill_uri(session, facets.skill.strip(), language)
    if facets.skill.strip() and skill is None:
        return None
    return BoardFilter(
        country=facets.country or None, remote=_yes_no(facets.remote),
        skill=skill, language=facets.language or None, sector=facets.sector or None,
        city=facets.city.strip() or None, paid=_yes_no(facets.paid),
        closes_by=_deadline(facets.deadline),
    )  # fmt: skip


async def board_page(request: Request) -> Response:
    """GET /board: one page of open calls matching the facets (after a cursor, or before one),
    and links to the first, previous and next pages; 400 for an address its links never
    give."""
    query = board_query(request.query_params)
    if query is None:
        settings: Settings = request.app.state.settings
        with using(request_language(request, settings)):
            return error_page(request, 400, _BAD_LINK)
    return await cached_page(request, lambda: _board(request, query))


async def _board(request: Request, query: BoardQuery) -> Response:
    settings: Settings = request.app.state.settings
    facets, sort = query.facets, query.facets.sort
    language = request_language(request, settings)
    with using(language):
        try:
            _deadline(facets.deadline)
        except ValidationFailed as error:
            return error_page(request, 400, error.message)
        try:
            if query.after and query.before:
                raise ValidationFailed("a page is after a cursor or before one, not both")
            position, before = cursor_in(sort, query.after), cursor_in(sort, query.before)
        except ValidationFailed:
            return error_page(request, 400, _BAD_LINK)
        shown = await _kept(request, query, (position, before), language)
        return render(
            request, "board.html", f=facets, page=query.page, next_url=shown.next_url,
            prev_url=shown.prev_url, calls=shown.cards,
            first_url=_page_url(facets, None, 1) if query.page > 1 else None,
            sorts=[(NEWEST, gettext("newest first")), (CLOSING, gettext("closing soonest"))],
            **_choices(),
        )  # fmt: skip


async def _kept(
    request: Request, query: BoardQuery, at: tuple[Position | None, Position | None],
    language: str,
) -> _Shown:  # fmt: skip
    """What the page shows: as kept, else read (and kept until a call, a project or a skill
    label changes, or the soonest deadline among its calls passes)."""
    views = view_cache(request.app)
    key = ("board", query, language)
    shown = views.get(key)
    if isinstance(shown, _Shown):
        return shown
    read_at = views.stamp()
    db: Database = request.app.state.db
    domain = request.app.state.settings.domain
    async with db.session() as session, session.begin():
        wanted = await _filter(session, query.facets, language)
        if wanted is None:
            shown, until = _Shown(), None
        else:
            found = await _read(session, wanted, query, *at)
            backwards = at[1] is not None
            page = query.page if backwards or at[0] is not None else 1
            last, ahead = (None, found.position) if backwards else (found.position, None)
            nxt, prev = _links(query.facets, page, found.calls, last, ahead, backwards)
            cards = tuple(call_card(view, domain) for view in found.calls)
            shown, until = _Shown(cards, nxt, prev), found.changes_at
    views.put(key, shown, tables=TABLES, read_at=read_at, until=until)
    return shown


async def _read(
    session: AsyncSession, wanted: BoardFilter, query: BoardQuery, after: Position | None,
    before: Position | None,
) -> call_cases.BoardPage:  # fmt: skip
    """The calls of one board page, read forwards (after) or backwards (before)."""
    sort: BoardSort = NEWEST if query.facets.sort == NEWEST else CLOSING
    now = datetime.now(UTC)
    if before is not None:
        return await call_cases.board_before(session, wanted, now, limit=PAGE_SIZE,
                                             before=before, sort=sort)  # fmt: skip
    return await call_cases.board(session, wanted, now, limit=PAGE_SIZE, after=after, sort=sort)
