"""Annotated dependencies shared by the HTTP edges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.api.cache import DocumentCache
from smartnode.config import Settings
from smartnode.federation.uris import NodeUris
from smartnode.storage.db import Database


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
