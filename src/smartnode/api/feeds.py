"""RSS 2.0 and Atom 1.0 of each topic feed: GET /feeds/{slug}.rss and /feeds/{slug}.atom.

Plain routes added ahead of the actor route `/feeds/{slug}` (which would take `music.rss` as a
slug): `add_hot_routes(app)` must run before `activitypub.add_hot_routes(app)`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from smartnode.actors.feeds import get_feed
from smartnode.content.compose import plain_text
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.matching.feeds import latest_calls
from smartnode.storage.db import Database
from smartnode.web.syndication import ATOM_TYPE, RSS_TYPE, Channel, atom, call_item, rss

#: How many calls an RSS / Atom document lists.
ITEMS = 50
CACHE_CONTROL = "public, max-age=300"
_SLUG = re.compile(r"^[a-z0-9_.-]{1,64}$")


def _error(status_code: int, message: str) -> Response:
    code = "gone" if status_code == 410 else "not_found"
    body = orjson.dumps({"error": message, "code": code})
    return Response(body, status_code, media_type="application/json")


async def _document(request: Request, fmt: str) -> Response:
    slug = str(request.path_params["slug"]).lower()
    if not _SLUG.match(slug):
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
    )
    if fmt == "rss":
        return Response(rss(channel, items), 200, {"Cache-Control": CACHE_CONTROL}, RSS_TYPE)
    return Response(atom(channel, items), 200, {"Cache-Control": CACHE_CONTROL}, ATOM_TYPE)


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
