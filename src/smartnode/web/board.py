"""The board page (/board): the open calls of this node and of every peer node, with facets as
a GET form (sector, skill, country and city, remote, paid, language, deadline) and page links.
The board's query is content/board.py's, through the call use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from smartnode.api.deps import SessionDep, SettingsDep
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
from smartnode.web.call_views import call_card, country_name
from smartnode.web.formats import language_label
from smartnode.web.i18n import N_, current_language, gettext, using
from smartnode.web.page_cache import cached_page
from smartnode.web.pages import error_page, render
from smartnode.web.viewer import request_language

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
#: The countries of the cooperative's nodes.
COUNTRIES = ("BE", "FR", "NL", "IT", "ES", "SE", "DE", "AT")
SECTOR_NAMES = {
    "performing arts": N_("performing arts"), "music": N_("music"), "film": N_("film"),
    "design": N_("design"), "games": N_("games"), "architecture": N_("architecture"),
    "education": N_("education"), "sustainability": N_("sustainability"), "tech": N_("tech"),
    "events": N_("events"), "media": N_("media"),
}  # fmt: skip
Text = Annotated[str, Query(max_length=200)]


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


async def _skill_uri(session: SessionDep, text: str) -> str | None:
    """An ESCO URI as given, else the skill labelled `text` in the page's language or English."""
    if not text or text.startswith(("http://", "https://")):
        return text or None
    for language in dict.fromkeys((current_language.get(), "en")):
        async with session.begin():
            found = await lookup_label(session, text, language)
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
class _Links:
    """A board page's calls and its links to the pages before and after it."""

    calls: list[call_cases.CallView]
    next_url: str | None
    prev_url: str | None


def _links(
    facets: Facets, page: int, rows: list[call_cases.CallView], last: Position | None,
    ahead: Position | None, backwards: bool,
) -> _Links:  # fmt: skip
    """The previous page: the first page from page 2, else the page ahead of this one's first
    call; the next page: after its last call."""
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
    return _Links(rows, nxt, prev)


async def _filter(session: SessionDep, facets: Facets) -> BoardFilter | None:
    """The board's filter; None when the skill names no known skill (no call can match)."""
    skill = await _skill_uri(session, facets.skill.strip())
    if facets.skill.strip() and skill is None:
        return None
    return BoardFilter(
        country=facets.country or None, remote=_yes_no(facets.remote),
        skill=skill, language=facets.language or None, sector=facets.sector or None,
        city=facets.city.strip() or None, paid=_yes_no(facets.paid),
        closes_by=_deadline(facets.deadline),
    )  # fmt: skip


@router.get("/board")
async def board_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    sector: Annotated[str, Query(max_length=40)] = "",
    skill: Text = "",
    country: Annotated[str, Query(pattern=r"^([A-Za-z]{2})?$")] = "",
    city: Text = "",
    remote: Annotated[str, Query(pattern=r"^(yes|no)?$")] = "",
    paid: Annotated[str, Query(pattern=r"^(yes|no)?$")] = "",
    language: Annotated[str, Query(pattern=r"^([a-z]{2,3})?$")] = "",
    deadline: Annotated[str, Query(max_length=10)] = "",
    sort: Annotated[str, Query(pattern=f"^({NEWEST}|{CLOSING})$")] = NEWEST,
    after: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """One page of open calls matching the facets (after a cursor, or before one), and links
    to the first, previous and next pages."""
    facets = Facets(sector, skill, country.upper(), city, remote, paid, language, deadline, sort)
    return await cached_page(
        request, lambda: _board(request, session, settings, facets, (after, before), page)
    )


async def _board(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    facets: Facets,
    cursors: tuple[str | None, str | None],
    page: int,
) -> Response:
    sort = facets.sort
    with using(request_language(request, settings)):
        try:
            wanted = await _filter(session, facets)
        except ValidationFailed as error:
            return error_page(request, 400, error.message)
        try:
            if cursors[0] and cursors[1]:
                raise ValidationFailed("a page is after a cursor or before one, not both")
            position, before = cursor_in(sort, cursors[0]), cursor_in(sort, cursors[1])
        except ValidationFailed:
            return error_page(request, 400, N_("This page link is not valid."))
        links = _Links([], None, None)
        if wanted is not None:
            async with session.begin():
                links = await _read(session, wanted, facets, page, position, before)
        return render(
            request, "board.html", f=facets, page=page, next_url=links.next_url,
            prev_url=links.prev_url,
            calls=[call_card(view, settings.domain) for view in links.calls],
            first_url=_page_url(facets, None, 1) if page > 1 else None,
            sorts=[(NEWEST, gettext("newest first")), (CLOSING, gettext("closing soonest"))],
            **_choices(),
        )  # fmt: skip


async def _read(
    session: SessionDep, wanted: BoardFilter, facets: Facets, page: int,
    after: Position | None, before: Position | None,
) -> _Links:  # fmt: skip
    """The calls of one board page, read forwards (after) or backwards (before)."""
    sort: BoardSort = NEWEST if facets.sort == NEWEST else CLOSING
    now = datetime.now(UTC)
    if before is not None:
        rows, ahead = await call_cases.board_before(session, wanted, now, limit=PAGE_SIZE,
                                                    before=before, sort=sort)  # fmt: skip
        return _links(facets, page, rows, None, ahead, backwards=True)
    rows, last = await call_cases.board(session, wanted, now, limit=PAGE_SIZE, after=after,
                                        sort=sort)  # fmt: skip
    return _links(facets, page if after else 1, rows, last, None, backwards=False)
