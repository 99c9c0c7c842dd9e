"""ActivityPub GETs: actors (content-negotiated with their HTML pages) and their collections.

Hot path: the actor GETs are plain Starlette routes put ahead of every router by
`add_hot_routes(app)`; a cache hit reads `app.state.documents` and returns the stored bytes (no
Depends, no database). Every answer carries `Vary: Accept`. Inbox POST lives elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors import collections as coll
from smartnode.actors.federate import actor_document
from smartnode.actors.feeds import feed_outbox_source
from smartnode.actors.node import get_node_actor
from smartnode.actors.records import find_local_actor
from smartnode.actors.to_ap import tombstone
from smartnode.api import signed_fetch
from smartnode.api.cache import CachedResponse, DocumentCache
from smartnode.api.negotiation import wants_activity_json
from smartnode.content.node_board import (
    board_page_to_ap,
    board_rows,
    board_to_ap,
    board_total,
    board_uri,
)
from smartnode.content.pins import featured_collection
from smartnode.errors import BadRequest, Forbidden
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.federation.vocab import ACTIVITY_JSON
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.translatable import N_
from smartnode.web import pages
from smartnode.web.feeds import feed_page

AP_JSON = f"{ACTIVITY_JSON}; charset=utf-8"
VARY = "Vary"
_NAME = re.compile(r"^[a-z0-9_.-]{1,64}$")
_MAX_CURSOR = 2**63 - 1
_NOBODY = N_("There is no one here by that name.")

router = APIRouter(include_in_schema=False)


def _accept(request: Request) -> str:
    for key, value in request.scope["headers"]:
        if key == b"accept":
            return str(value.decode("latin-1"))
    return ""


def _json(doc: dict[str, Any], status_code: int = 200) -> CachedResponse:
    return CachedResponse(orjson.dumps(doc), AP_JSON, status_code, {VARY: "Accept"})


def _error(status_code: int, message: str, **headers: str) -> Response:
    body = orjson.dumps({"error": message, "code": _CODES.get(status_code, "error")})
    return Response(body, status_code, {VARY: "Accept", **headers}, "application/json")


_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 410: "gone"}


async def _find(session: AsyncSession, kind: ActorKind, name: str) -> Actor | None:
    """The local actor of this kind and name, deleted ones included."""
    if kind is ActorKind.NODE:
        return await get_node_actor(session)
    actor = await find_local_actor(session, name)
    return actor if actor is not None and actor.kind == kind.value else None


def _misnamed(
    request: Request, kind: ActorKind, name: str, *, as_json: bool = True
) -> Response | None:
    """404 for names that cannot exist; a redirect to the canonical (lower-case) id."""
    if kind is ActorKind.NODE:
        return None
    lowered = name.lower()
    if not _NAME.match(lowered):
        if as_json:
            return _error(404, "no such actor on this node")
        return pages.error_page(request, 404, _NOBODY, {VARY: "Accept"})
    if lowered != name:
        uris: NodeUris = request.app.state.uris
        return RedirectResponse(uris.actor(kind, lowered), 301, {VARY: "Accept"})
    return None


async def _actor(request: Request, kind: ActorKind, name: str) -> Response:
    """An actor id: AS2 JSON (cached bytes) for ActivityPub clients, the HTML page otherwise."""
    as_json = wants_activity_json(_accept(request))
    documents: DocumentCache = request.app.state.documents
    key = "ap:" + request.scope["path"]
    if as_json and kind is not ActorKind.NODE:
        refused = await signed_fetch.refusal(request)
        if refused is not None:
            return refused
    if as_json:
        hit = documents.get(key)
        if hit is not None:
            return hit.to_response()
    wrong = _misnamed(request, kind, name, as_json=as_json)
    if wrong is not None:
        return wrong
    db: Database = request.app.state.db
    async with db.session() as session:
        actor = await _find(session, kind, name)
        if not as_json:
            return await _actor_html(request, session, actor)
        if actor is None:
            return _error(404, f"no {kind.value} named {name!r} on this node")
        if actor.deleted_at is not None:
            entry = _json(tombstone(actor.uri, actor.ap_type, actor.deleted_at), 410)
        else:
            entry = _json(await actor_document(session, request.app.state.uris, actor))
    return documents.put(key, entry).to_response()


async def _actor_html(request: Request, session: AsyncSession, actor: Actor | None) -> Response:
    headers = {VARY: "Accept"}
    if actor is None:
        return pages.error_page(request, 404, _NOBODY, headers)
    if actor.deleted_at is not None:
        return pages.error_page(request, 410, N_("This account was deleted."), headers)
    if actor.kind == ActorKind.FEED.value:
        return await feed_page(request, session, actor, headers)
    return await pages.actor_page(request, session, actor, headers)


async def node_actor(request: Request) -> Response:
    """The node actor (Application); public, no signature needed (avoids fetch deadlocks)."""
    return await _actor(request, ActorKind.NODE, "")


async def member_actor(request: Request) -> Response:
    """A member (Person)."""
    return await _actor(request, ActorKind.MEMBER, request.path_params["username"])


async def project_actor(request: Request) -> Response:
    """A project (Group)."""
    return await _actor(request, ActorKind.PROJECT, request.path_params["slug"])


async def feed_actor(request: Request) -> Response:
    """A topic feed (Service)."""
    return await _actor(request, ActorKind.FEED, request.path_params["slug"])


def add_hot_routes(app: FastAPI) -> None:
    """Actor GETs as plain routes ahead of every router: the cheapest match, no Depends."""
    for path, endpoint in (
        ("/members/{username}", member_actor),
        ("/projects/{slug}", project_actor),
        ("/feeds/{slug}", feed_actor),
        ("/actor", node_actor),
    ):
        app.router.add_route(path, endpoint, methods=["GET"], include_in_schema=False)


def _cursor(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > _MAX_CURSOR:
        raise BadRequest(f"{name} must be a non-negative whole number")
    return int(raw)


def _page_request(request: Request, limit: int) -> coll.PageRequest | None:
    """None for the collection root; otherwise which keyset page is asked for."""
    max_id, min_id = _cursor(request, "max_id"), _cursor(request, "min_id")
    if max_id is not None and min_id is not None:
        raise BadRequest("give max_id or min_id, not both")
    if "page" not in request.query_params and max_id is None and min_id is None:
        return None
    return coll.PageRequest(limit=limit, max_id=max_id, min_id=min_id)


async def _collection_doc(
    session: AsyncSession, actor: Actor, name: str, want: coll.PageRequest | None
) -> dict[str, Any]:
    uri = NodeUris.collection(actor.uri, name)
    if actor.hide_network and name in ("followers", "following"):
        if want is not None:
            raise Forbidden("this actor shows the size of their network, not its members")
        source = coll.collection_source(actor.id, name)
        total = 0 if source is None else await coll.count_items(session, source)
        return coll.hidden_collection_to_ap(uri, total)
    if name == "featured":  # pinned statuses and open calls (content/pins.py)
        return await featured_collection(session, actor, uri, datetime.now(UTC))
    source = coll.collection_source(actor.id, name)
    if actor.kind == ActorKind.FEED.value and name == "outbox":
        source = feed_outbox_source(actor.id)  # a feed's outbox holds its Announces
    if want is None:
        total = 0 if source is None else await coll.count_items(session, source)
        return coll.collection_to_ap(uri, total)
    page_uri = NodeUris.collection_page(uri, max_id=want.max_id, min_id=want.min_id)
    if source is None:
        page = coll.Page(items=[], ids=[], has_older=False, has_newer=False)
    else:
        page = await coll.fetch_page(session, source, want)
    return coll.page_to_ap(uri, page_uri, page)


async def _collection(request: Request, kind: ActorKind, name: str) -> Response:
    """A collection root or one of its pages; 404 / 410 as the actor."""
    refused = await signed_fetch.refusal(request)
    if refused is not None:
        return refused
    username = request.path_params.get("username") or request.path_params.get("slug") or ""
    wrong = _misnamed(request, kind, username)
    if wrong is not None:
        return wrong if wrong.status_code == 404 else _error(404, "no such collection")
    try:
        want = _page_request(request, request.app.state.settings.collection_page_size)
    except BadRequest as exc:
        return _error(400, exc.message)
    db: Database = request.app.state.db
    async with db.session() as session:
        actor = await _find(session, kind, username)
        if actor is None:
            return _error(404, "no such actor on this node")
        if actor.deleted_at is not None:
            return _error(410, "this actor was deleted")
        try:
            doc = await _collection_doc(session, actor, name, want)
        except Forbidden as exc:
            return _error(403, exc.message)
    return _json(doc).to_response()


def _collection_endpoint(kind: ActorKind, name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await _collection(request, kind, name)

    endpoint.__name__ = f"{kind.value}_{name}"
    endpoint.__doc__ = f"The {name} collection of a {kind.value}."
    return endpoint


async def node_board(request: Request) -> Response:
    """The node actor's board: our open public calls and upcoming public events (back-fill)."""
    refused = await signed_fetch.refusal(request)
    if refused is not None:
        return refused
    try:
        want = _page_request(request, request.app.state.settings.collection_page_size)
        if want is not None and want.min_id is not None:
            raise BadRequest("the board pages with max_id only")
    except BadRequest as exc:
        return _error(400, exc.message)
    db: Database = request.app.state.db
    now = datetime.now(UTC)
    async with db.session() as session:
        node = await get_node_actor(session)
        if node is None:
            return _error(404, "this node has no node actor yet")
        uri = board_uri(node.uri)
        if want is None:
            return _json(board_to_ap(uri, await board_total(session, now))).to_response()
        rows, more = await board_rows(session, now, limit=want.limit, max_id=want.max_id)
        doc = board_page_to_ap(uri, want.max_id, rows, more)
    return _json(doc).to_response()


async def inbox_get(request: Request) -> Response:
    """Inboxes take POST only (delivery); a GET is answered 405."""
    return _error(405, "this inbox accepts POST only", Allow="POST")


_PREFIXES = {
    ActorKind.NODE: "/actor",
    ActorKind.MEMBER: "/members/{username}",
    ActorKind.PROJECT: "/projects/{slug}",
    ActorKind.FEED: "/feeds/{slug}",
}
for _kind, _prefix in _PREFIXES.items():
    _names = ("outbox", "followers", "following", "featured")
    for _name in (*_names, "members") if _kind is ActorKind.PROJECT else _names:
        router.add_api_route(
            f"{_prefix}/{_name}", _collection_endpoint(_kind, _name), methods=["GET"]
        )
    router.add_api_route(f"{_prefix}/inbox", inbox_get, methods=["GET"], name=f"{_kind}_inbox")
router.add_api_route("/inbox", inbox_get, methods=["GET"], name="shared_inbox_get")
router.add_api_route("/actor/board", node_board, methods=["GET"])
