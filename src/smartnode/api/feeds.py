"""RSS 2.0, Atom 1.0 and iCalendar of each topic feed: GET /feeds/{slug}.rss, .atom and .ics.

Plain routes added ahead of the actor route `/feeds/{slug}` (which would take `music.rss` as a
slug): `add_hot_routes(app)` must run before `activitypub.add_hot_routes(app)`. The calendar
holds the deadlines of the calls the feed carries and the events its filter matches
(matching/feed_calendar.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from smartnode.actors.feeds import get_feed
from smartnode.content.compose import plain_text
from smartnode.content.ical import calendar
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.matching.feed_calendar import feed_calendar
from smartnode.matching.feeds import latest_calls
from smartnode.storage.db import Database
from smartnode.web.syndication import (
    ATOM_TYPE,
    RSS_TYPE,
    Channel,
    atom,
    call_deadline,
    call_item,
    rss,
)

#: How many calls an RSS / Atom document lists.
ITEMS = 50
CACHE_CONTROL = "public, max-age=300"
ICS_TYPE = "text/calendar; charset=utf-8"
#: How often a calendar application should fetch the calendar again.
CALENDAR_REFRESH = timedelta(hours=1)
_SLUG = re.compile(r"^[a-z0-9_.-]{1,64}$")


def _error(status_code: int, message: str) -> Response:
    code = "gone" if status_code == 410 else "not_found"
    body = orjson.dumps({"error": message, "code": code})
    return Response(body, status_code, media_type="application/json")


def _slug(request: Request) -> str | None:
    slug = str(request.path_params["slug"]).lower()
    return slug if _SLUG.match(slug) else None


async def _document(request: Request, fmt: str) -> Response:
    slug = _slug(request)
    if slug is None:
        return _error(404, "no such feed on this node")
    uris: NodeUris = request.app.state.uris
    db: Database = request.app.state.db
    now = datetime.now(UTC)
    async with db.session() as session:
        try:
            actor, topic = await get_feed(session, slug)
        except (NotFound, Gone) as exc:
            return _error(exc.status_code, exc.message)
        calls = await latest_calls(session, topic, now, limit=ITEMS)
        items = [call_item(obj, author) for obj, author in calls]
    channel = Channel(
        title=actor.name,
        page_url=actor.uri,
        self_url=uris.syndication(slug, fmt),
        description=plain_text(actor.summary),
        language=actor.language,
        updated=max((i.updated for i in items), default=actor.updated_at),
        calendar_url=uris.syndication(slug, "ics"),
    )
    if fmt == "rss":
        return Response(rss(channel, items), 200, {"Cache-Control": CACHE_CONTROL}, RSS_TYPE)
    return Response(atom(channel, items), 200, {"Cache-Control": CACHE_CONTROL}, ATOM_TYPE)


async def feed_ics(request: Request) -> Response:
    """A topic feed as iCalendar: its calls' deadlines and the events it matches."""
    slug = _slug(request)
    if slug is None:
        return _error(404, "no such feed on this node")
    db: Database = request.app.state.db
    async with db.session() as session:
        try:
            actor, topic = await get_feed(session, slug)
        except (NotFound, Gone) as exc:
            return _error(exc.status_code, exc.message)
        found = await feed_calendar(session, topic, datetime.now(UTC))
    deadlines = [d for obj, author in found.calls if (d := call_deadline(obj, author))]
    body = calendar(found.events, actor.name or slug, deadlines=deadlines, refresh=CALENDAR_REFRESH)
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "Content-Disposition": f'inline; filename="{slug}.ics"',
    }
    return Response(body, 200, headers, ICS_TYPE)


async def feed_rss(request: Request) -> Response:
    """A topic feed as RSS 2.0."""
    return await _document(request, "rss")


async def feed_atom(request: Request) -> Response:
    """A topic feed as Atom 1.0."""
    return await _document(request, "atom")


def add_hot_routes(app: FastAPI) -> None:
    """The syndication routes, ahead of `/feeds/{slug}` (call before activitypub's)."""
    app.router.add_route("/feeds/{slug}.rss", feed_rss, methods=["GET"], include_in_schema=False)
    app.router.add_route("/feeds/{slug}.atom", feed_atom, methods=["GET"], include_in_schema=False)
    app.router.add_route("/feeds/{slug}.ics", feed_ics, methods=["GET"], include_in_schema=False)
