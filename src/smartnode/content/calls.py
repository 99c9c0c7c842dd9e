"""Open calls: a project (through a coordinator) publishes, edits, closes, fills and deletes
calls for work. Each change and its activity are written in the caller's transaction
(transactional outbox); services never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.terms import CALL
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import ContentObject


async def local_call(session: AsyncSession, uris: NodeUris, token: str) -> ContentObject:
    """One of our calls by token; NotFound if none, Gone if deleted."""
    obj = await session.scalar(
        select(ContentObject).where(
            ContentObject.uri == uris.call(token),
            ContentObject.local.is_(True),
            ContentObject.kind == CALL,
        )
    )
    if obj is None:
        raise NotFound("no such call on this node")
    if obj.deleted_at is not None:
        raise Gone("this call was deleted")
    return obj


async def call_by_uri(session: AsyncSession, uri: str) -> ContentObject | None:
    """A live call (ours or a remote one we store) by its id; None otherwise."""
    return await session.scalar(
        select(ContentObject).where(
            ContentObject.uri == uri,
            ContentObject.kind == CALL,
            ContentObject.deleted_at.is_(None),
        )
    )
