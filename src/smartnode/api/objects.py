"""ActivityPub GETs of our content: /notes/{token} (Note, Article), /events/{token},
/calls/{token}, their …/replies collections, and /activities/{token}.

A public (or unlisted) object answers everyone, its AS2 bytes cached; a non-public one answers
only a signed requester in its audience and is a 404 to everyone else (its existence is not
leaked, as Mastodon does). Deleted objects answer 410 with a Tombstone. An object's replies
collection answers whoever may read the object, and 404 / 410 as the object does. Browsers
asking for a note get its page. An activity about one of our notes embeds the note as it is now.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors import collections as coll
from smartnode.actors.to_ap import tombstone
from smartnode.api import signed_fetch
from smartnode.api.activitypub import _page_request
from smartnode.api.cache import CachedResponse, DocumentCache
from smartnode.api.negotiation import wants_activity_json
from smartnode.content.access import AskedBy, Requester
from smartnode.content.served import ServedObject, served_activity, served_object
from smartnode.content.terms import CALL, EVENT
from smartnode.content.threads import replies_source
from smartnode.content.to_ap import object_to_ap
from smartnode.errors import BadRequest
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import ACTIVITY_JSON
from smartnode.storage.db import Database
from smartnode.translatable import N_
from smartnode.web import calls, pages
from smartnode.web.events import event_page
from smartnode.web.notes import note_page
from smartnode.web.page_cache import cached_page
from smartnode.web.view_cache import view_cache
from smartnode.web.viewer import page_member

AP_JSON = f"{ACTIVITY_JSON}; charset=utf-8"
_TOKEN = re.compile(r"^[0-9a-f]{1,64}$")
_MISSING = N_("There is no such post here.")
PRIVATE = {"Vary": "Accept, Signature", "Cache-Control": "private, no-store"}

router = APIRouter(include_in_schema=False)


def _json(doc: dict[str, Any], status_code: int = 200, **headers: str) -> CachedResponse:
    return CachedResponse(orjson.dumps(doc), AP_JSON, status_code, {"Vary": "Accept", **headers})


def _missing(as_json: bool, request: Request, status_code: int = 404) -> Response:
    if not as_json:
        message = _MISSING if status_code == 404 else N_("This post was deleted.")
        return pages.error_page(request, status_code, message, {"Vary": "Accept"})
    code = "not_found" if status_code == 404 else "gone"
    body = orjson.dumps({"error": "no such object on this node", "code": code})
    return Response(body, status_code, {"Vary": "Accept"}, "application/json")


def _asked_by(request: Request, as_json: bool) -> AskedBy:
    """Who asks, found when asked: the signer of an AS2 request (only those are ever signed),
    else the member signed in on the page."""

    async def requester() -> Requester:
        if as_json:
            return Requester(page=False, signer_uri=await signed_fetch.signer_uri(request))
        viewer = await page_member(request)
        return Requester(page=True, member=viewer.actor if viewer is not None else None)

    return requester


def add_hot_routes(app: FastAPI) -> None:
    """Notes, events and calls as plain routes ahead of every router: the cheapest match, no
    Depends (their pages are what links on the fediverse lead to)."""
    for path, endpoint in (
        ("/notes/{token}", note),
        ("/events/{token}", event),
        ("/calls/{token}", call),
    ):
        app.router.add_route(path, endpoint, methods=["GET"], include_in_schema=False)


async def note(request: Request) -> Response:
    """A Note or Article: AS2 for ActivityPub clients, the page for browsers."""
    uris: NodeUris = request.app.state.uris
    token = str(request.path_params["token"])
    return await _content(request, uris.note(token), token)


async def event(request: Request) -> Response:
    """An Event: AS2 for ActivityPub clients, the page for browsers."""
    uris: NodeUris = request.app.state.uris
    token = str(request.path_params["token"])
    return await _content(request, uris.event(token), token)


async def call(request: Request) -> Response:
    """An open call: AS2 for ActivityPub clients, the page for browsers."""
    uris: NodeUris = request.app.state.uris
    token = str(request.path_params["token"])
    return await _content(request, uris.call(token), token)


async def _content(request: Request, uri: str, token: str) -> Response:
    """One of our content objects by id, negotiated, with its audience rules; a visitor's page
    may come from the page cache (web/page_cache.py)."""
    if not wants_activity_json(request.headers.get("accept", "")):
        return await cached_page(request, lambda: _page(request, uri, token))
    return await _document(request, uri, token)


async def _refused_or_kept(request: Request, documents: DocumentCache, key: str) -> Response | None:
    """The answer found before any database read: a refused signed fetch, or the document
    kept rendered."""
    refused = await signed_fetch.refusal(request)
    if refused is not None:
        return refused
    hit = documents.get(key)
    return hit.to_response() if hit is not None else None


async def _document(request: Request, uri: str, token: str) -> Response:
    """The AS2 document, kept rendered when it is open to everyone."""
    documents: DocumentCache = request.app.state.documents
    key = "ap:" + request.url.path
    early = await _refused_or_kept(request, documents, key)
    if early is not None:
        return early
    if not _TOKEN.match(token):
        return _missing(True, request)
    db: Database = request.app.state.db
    async with db.session() as session:
        found = await _readable(request, session, uri, True)
        if isinstance(found, Response):
            return found
        if isinstance(found, CachedResponse):
            return documents.put(key, found).to_response()
        obj, author = found.obj, found.author
        entry = _json(object_to_ap(obj, author.uri))
    if not found.public:
        entry.headers.update(PRIVATE)
        return entry.to_response()
    return documents.put(key, entry).to_response()


async def _page(request: Request, uri: str, token: str) -> Response:
    """The page for browsers; what a call's page shows of the database is kept as read while
    the call is open to everyone (web/view_cache.py), the viewer's part found on each
    request."""
    if not _TOKEN.match(token):
        return _missing(False, request)
    views = view_cache(request.app)
    key = calls.page_key(request, uri)
    kept = views.get(key)
    if isinstance(kept, calls.CallShown):
        return await calls.call_page(request, kept)
    read_at = views.stamp()
    db: Database = request.app.state.db
    async with db.session() as session:
        found = await _readable(request, session, uri, False)
        if not isinstance(found, ServedObject):
            return found.to_response() if isinstance(found, CachedResponse) else found
        obj, author = found.obj, found.author
        if obj.kind != CALL:
            page = event_page if obj.kind == EVENT else note_page
            return await page(request, session, obj, author)
        shown = await calls.call_shown(request, session, obj, author)
    if found.public:
        views.put(key, shown, tables=calls.TABLES, read_at=read_at)
    return await calls.call_page(request, shown)


async def _readable(
    request: Request, session: AsyncSession, uri: str, as_json: bool, *, replies: bool = False
) -> ServedObject | CachedResponse | Response:
    """Our live object at `uri` when the requester may read it (content/served.py decides);
    otherwise the 404 or the 410 Tombstone (of it or of its `replies`)."""
    found = await served_object(session, uri, _asked_by(request, as_json))
    if found is None:
        return _missing(as_json, request)
    gone, obj = found.gone_at, found.obj
    if gone is None:
        return found
    if not as_json:
        return _missing(as_json, request, 410)
    if replies:
        return _json(tombstone(NodeUris.replies(obj.uri), "OrderedCollection", gone), 410)
    return _json(tombstone(obj.uri, obj.ap_type, gone), 410)


@router.get("/notes/{token}/replies")
async def note_replies(request: Request, token: str) -> Response:
    """The public and unlisted replies to a note (OrderedCollection, keyset pages)."""
    uris: NodeUris = request.app.state.uris
    return await _replies(request, uris.note(token), token)


@router.get("/events/{token}/replies")
async def event_replies(request: Request, token: str) -> Response:
    """The public and unlisted replies to an event."""
    uris: NodeUris = request.app.state.uris
    return await _replies(request, uris.event(token), token)


@router.get("/calls/{token}/replies")
async def call_replies(request: Request, token: str) -> Response:
    """The public and unlisted replies to a call."""
    uris: NodeUris = request.app.state.uris
    return await _replies(request, uris.call(token), token)


async def _replies(request: Request, uri: str, token: str) -> Response:
    """AS2 whatever the Accept header; readable as the object is (404 / 410 as the object)."""
    refused = await signed_fetch.refusal(request)
    if refused is not None:
        return refused
    if not _TOKEN.match(token):
        return _missing(True, request)
    try:
        want = _page_request(request, request.app.state.settings.collection_page_size)
    except BadRequest as exc:
        body = orjson.dumps({"error": exc.message, "code": "bad_request"})
        return Response(body, 400, {"Vary": "Accept"}, "application/json")
    db: Database = request.app.state.db
    async with db.session() as session:
        found = await _readable(request, session, uri, True, replies=True)
        if isinstance(found, CachedResponse):
            return found.to_response()
        if isinstance(found, Response):
            return found
        doc = await _replies_document(session, found.obj.uri, want)
    entry = _json(doc)
    if not found.public:
        entry.headers.update(PRIVATE)
    return entry.to_response()


async def _replies_document(
    session: AsyncSession, object_uri: str, want: coll.PageRequest | None
) -> dict[str, Any]:
    """The collection root (count, first and last page) or one keyset page, newest first."""
    uri = NodeUris.replies(object_uri)
    source = replies_source(object_uri)
    if want is None:
        return coll.collection_to_ap(uri, await coll.count_items(session, source))
    page_uri = NodeUris.collection_page(uri, max_id=want.max_id, min_id=want.min_id)
    return coll.page_to_ap(uri, page_uri, await coll.fetch_page(session, source, want))


@router.get("/activities/{token}")
async def activity(request: Request, token: str) -> Response:
    """One of our activities, as AS2 whatever the Accept header (there is no page for it)."""
    documents: DocumentCache = request.app.state.documents
    key = "ap:" + request.url.path
    early = await _refused_or_kept(request, documents, key)
    if early is not None:
        return early
    if not _TOKEN.match(token):
        return _missing(True, request)
    uris: NodeUris = request.app.state.uris
    db: Database = request.app.state.db
    async with db.session() as session:
        found = await served_activity(session, uris, uris.activity(token), _asked_by(request, True))
    if found is None:
        return _missing(True, request)
    if found.gone_at is not None:
        activity_ = found.activity
        doc = tombstone(activity_.uri, activity_.activity_type, found.gone_at)
        return _json(doc, 410).to_response()
    entry = _json(found.document)
    if not found.activity.public:
        entry.headers.update(PRIVATE)
        return entry.to_response()
    return documents.put(key, entry).to_response()
