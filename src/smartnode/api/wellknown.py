"""Discovery: WebFinger, host-meta and NodeInfo. Every answer allows any origin (CORS `*`).

Hot path: WebFinger is a plain Starlette route put ahead of every router by `add_hot_routes(app)`;
a cache hit reads `app.state.documents` and returns the stored bytes (no Depends, no database).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode import __version__
from smartnode.actors.collections import member_usage
from smartnode.actors.node import get_node_actor
from smartnode.actors.records import find_local_actor
from smartnode.api.cache import CachedResponse, DocumentCache
from smartnode.config import Settings
from smartnode.errors import Gone, NotFound, SmartnodeError
from smartnode.federation import nodeinfo, webfinger
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.storage.db import Database
from smartnode.storage.models import Actor

CORS = "Access-Control-Allow-Origin"
JRD_UTF8 = f"{webfinger.JRD_JSON}; charset=utf-8"
JSON_UTF8 = "application/json; charset=utf-8"
NODEINFO_KEY = "nodeinfo:2.1"

router = APIRouter(include_in_schema=False)


def _answer(body: bytes, media_type: str, status_code: int = 200) -> CachedResponse:
    return CachedResponse(body, media_type, status_code, {CORS: "*"})


def _error(exc: SmartnodeError) -> CachedResponse:
    body = orjson.dumps({"error": exc.message, "code": exc.code})
    return _answer(body, JSON_UTF8, exc.status_code)


def add_hot_routes(app: FastAPI) -> None:
    """WebFinger as a plain route ahead of every router: the cheapest match, no Depends."""
    app.router.add_route(
        "/.well-known/webfinger", webfinger_get, methods=["GET"], include_in_schema=False
    )


async def webfinger_get(request: Request) -> Response:
    """acct: handles, our actor ids and (FEP-d556) the base URL → JRD; 400 / 404 / 410."""
    params = request.query_params
    resource = params.get("resource")
    rels = params.getlist("rel")
    key = f"wf:{resource}|{' '.join(rels)}"
    documents: DocumentCache = request.app.state.documents
    hit = documents.get(key)
    if hit is not None:
        return hit.to_response()
    uris: NodeUris = request.app.state.uris
    try:
        target = webfinger.parse_resource(uris, resource)
        db: Database = request.app.state.db
        async with db.session() as session:
            actor = await _resolve(session, target)
    except Gone as exc:
        return documents.put(key, _error(exc)).to_response()
    except SmartnodeError as exc:
        return _error(exc).to_response()  # 400 / 404: not cached (unbounded key space)
    jrd = webfinger.select_links(_actor_jrd(uris, actor), rels)
    return documents.put(key, _answer(orjson.dumps(jrd), JRD_UTF8)).to_response()


async def _resolve(session: AsyncSession, target: webfinger.ResourceTarget) -> Actor:
    """The live local actor a resource names; NotFound or Gone otherwise."""
    if target.ref is not None and target.ref.kind is ActorKind.NODE:
        actor = await get_node_actor(session)
    else:
        name = target.ref.name if target.ref is not None else target.username or ""
        actor = await find_local_actor(session, name)
        if actor is not None and target.ref is not None and actor.kind != target.ref.kind.value:
            actor = None
    if actor is None:
        raise NotFound("no such account on this node")
    if actor.deleted_at is not None:
        raise Gone("this account was deleted")
    return actor


def _actor_jrd(uris: NodeUris, actor: Actor) -> dict[str, Any]:
    kind = ActorKind(actor.kind)
    profile_url = f"{uris.base_url}/about" if kind is ActorKind.NODE else actor.uri
    return webfinger.actor_jrd(
        uris, kind=kind, username=actor.username, actor_uri=actor.uri, profile_url=profile_url
    )


@router.get("/.well-known/host-meta")
async def host_meta(request: Request) -> Response:
    """XRD with the lrdd template (how older clients find WebFinger)."""
    xrd = webfinger.host_meta_xrd(request.app.state.uris).encode()
    return _answer(xrd, f"{webfinger.XRD_XML}; charset=utf-8").to_response()


@router.get("/.well-known/host-meta.json")
async def host_meta_json(request: Request) -> Response:
    """host-meta as JSON."""
    jrd = webfinger.host_meta_jrd(request.app.state.uris)
    return _answer(orjson.dumps(jrd), JRD_UTF8).to_response()


@router.get("/.well-known/nodeinfo")
async def nodeinfo_links(request: Request) -> Response:
    """Where the NodeInfo 2.1 document is."""
    doc = nodeinfo.discovery_document(request.app.state.uris.nodeinfo())
    return _answer(orjson.dumps(doc), JSON_UTF8).to_response()


@lru_cache(maxsize=1)
def _software() -> nodeinfo.Software:
    return nodeinfo.installed_software(__version__)


@router.get("/nodeinfo/2.1")
async def nodeinfo_21(request: Request) -> Response:
    """NodeInfo 2.1: software, protocols, member counts, closed registrations, metadata."""
    documents: DocumentCache = request.app.state.documents
    hit = documents.get(NODEINFO_KEY)
    if hit is not None:
        return hit.to_response()
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    async with db.session() as session:
        total, month, halfyear = await member_usage(session, datetime.now(UTC))
    doc = nodeinfo.nodeinfo_document(
        _software(),
        nodeinfo.Usage(total, month, halfyear),
        node_name=settings.node_name,
        node_description=settings.node_description_for(settings.language)[0],
        country=settings.node_country,
        node_descriptions=settings.node_description_map() if settings.node_descriptions else None,
    )
    entry = _answer(orjson.dumps(doc), nodeinfo.NODEINFO_21_JSON)
    return documents.put(NODEINFO_KEY, entry).to_response()
