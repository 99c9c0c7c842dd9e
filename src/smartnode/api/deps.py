"""Annotated dependencies shared by the HTTP edges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.resolve import FetchingResolver
from smartnode.api.cache import DocumentCache
from smartnode.config import Settings
from smartnode.federation.fetch import FetchBudget, Fetcher
from smartnode.federation.uris import NodeUris
from smartnode.storage.db import Database

#: Outbound requests one call may make to find remote actors or objects (documents, keys,
#: redirects).
FETCHES_PER_CALL = 10


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_uris(request: Request) -> NodeUris:
    uris: NodeUris = request.app.state.uris
    return uris


def get_documents(request: Request) -> DocumentCache:
    documents: DocumentCache = request.app.state.documents
    return documents


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; routes that write wrap their work in `session.begin()`."""
    db: Database = request.app.state.db
    async with db.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
UrisDep = Annotated[NodeUris, Depends(get_uris)]
DocumentsDep = Annotated[DocumentCache, Depends(get_documents)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


def request_resolver(
    request: Request, session: AsyncSession, now: datetime, *, fetches: int = FETCHES_PER_CALL
) -> FetchingResolver:
    """Remote actors and objects fetched with the node actor's signature, at most `fetches`
    requests for this call."""
    fetcher: Fetcher = request.app.state.fetcher
    signer: httpx.Auth = request.app.state.node_signer
    uris: NodeUris = request.app.state.uris
    return FetchingResolver(
        session, uris, fetcher, now=now, signer=signer, budget=FetchBudget(fetches)
    )
