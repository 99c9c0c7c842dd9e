"""What Mastodon apps ask a server before anyone signs in: the instance documents (v1 and v2,
with the trailing-slash paths apps send), the domains it knows, its rules and custom emojis.

Public, CORS-open and cheap: the instance documents are kept rendered (per language of the
registrations message) for SMARTNODE_DOCUMENT_CACHE_SECONDS, as NodeInfo is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from smartnode import __version__
from smartnode.actors.known_hosts import known_domains, node_counts
from smartnode.api.cache import CachedResponse, DocumentCache
from smartnode.api.deps import SessionDep
from smartnode.api.mastodon.auth import MastodonRoute
from smartnode.api.mastodon.instance_documents import InstanceFacts, instance_v1, instance_v2
from smartnode.api.oauth_body import CORS
from smartnode.config import Settings
from smartnode.federation.nodeinfo import installed_software
from smartnode.storage.db import Database
from smartnode.web import i18n

router = APIRouter(include_in_schema=False, route_class=MastodonRoute)
JSON = "application/json; charset=utf-8"


@lru_cache(maxsize=1)
def _source_url() -> str:
    return installed_software(__version__).repository or ""


def registrations_message(settings: Settings) -> str:
    """Why nobody signs up here, as the HTML Mastodon sends (in the current language)."""
    words = i18n.gettext(
        "Members join %(node)s by invitation of the cooperative; there is no sign-up form.",
        node=settings.node_name,
    )
    return f"<p>{escape(words)}</p>"


async def _instance(
    request: Request, version: str, build: Callable[[InstanceFacts], dict[str, Any]]
) -> Response:
    settings: Settings = request.app.state.settings
    language = i18n.negotiate(request.headers.get("accept-language"), None, settings.language)
    key = f"mastodon:instance:{version}:{language}"
    documents: DocumentCache = request.app.state.documents
    hit = documents.get(key)
    if hit is not None:
        return hit.to_response()
    db: Database = request.app.state.db
    async with db.session() as session:
        counts = await node_counts(session, datetime.now(UTC))
    with i18n.using(language):
        message = registrations_message(settings)
    facts = InstanceFacts(settings, counts, message, _source_url())
    entry = CachedResponse(orjson.dumps(build(facts)), JSON, 200, dict(CORS))
    return documents.put(key, entry).to_response()


@router.get("/api/v2/instance")
@router.get("/api/v2/instance/")
async def instance_document(request: Request) -> Response:
    """Mastodon 4.3's Instance entity."""
    return await _instance(request, "v2", instance_v2)


@router.get("/api/v1/instance")
@router.get("/api/v1/instance/")
async def instance_document_v1(request: Request) -> Response:
    """Mastodon's V1::Instance entity, for apps that still read it."""
    return await _instance(request, "v1", instance_v1)


@router.get("/api/v1/instance/peers")
async def peers(session: SessionDep) -> Response:
    """The domains this node knows: its peers and those of remote actors it has met."""
    async with session.begin():
        domains = await known_domains(session)
    return Response(orjson.dumps(domains), media_type=JSON, headers=CORS)


@router.get("/api/v1/instance/rules")
async def rules() -> Response:
    """The server's rules: none are listed (members agree to the cooperative's terms)."""
    return Response(b"[]", media_type=JSON, headers=CORS)


@router.get("/api/v1/custom_emojis")
async def custom_emojis() -> Response:
    """Custom emojis: this node has none."""
    return Response(b"[]", media_type=JSON, headers=CORS)
