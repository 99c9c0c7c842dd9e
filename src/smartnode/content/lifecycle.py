"""What every kind of our content shares: finding one of ours by id, publishing its Create or
Update, and deleting it (the row stays as a Tombstone that answers 410, and its audience is
sent Delete)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.to_ap import tombstone
from smartnode.content.to_ap import object_to_ap
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor, ContentObject


async def local_object(
    session: AsyncSession, uri: str, what: str, kind: str | None = None
) -> ContentObject:
    """One of our objects by id (of one kind); NotFound if none, Gone if deleted."""
    query = select(ContentObject).where(ContentObject.uri == uri, ContentObject.local.is_(True))
    if kind is not None:
        query = query.where(ContentObject.kind == kind)
    obj = await session.scalar(query)
    if obj is None:
        raise NotFound(f"no such {what} on this node")
    if obj.deleted_at is not None:
        raise Gone(f"this {what} was deleted")
    return obj


async def publish_change(
    session: AsyncSession,
    uris: NodeUris,
    author: Actor,
    obj: ContentObject,
    activity_type: str,
    now: datetime,
    *,
    context: Any,
    also: Sequence[str] = (),
) -> Activity:
    """Create or Update of an object, addressed as the object is (and to `also`)."""
    document = object_to_ap(obj, author.uri, context=False)
    cc = list(dict.fromkeys([*document["cc"], *also]))
    return await publish(
        session, uris, author, activity_type, obj=document, to=document["to"], cc=cc,
        now=now, extra={"@context": context},
    )  # fmt: skip


async def retire(
    session: AsyncSession,
    uris: NodeUris,
    author: Actor,
    obj: ContentObject,
    now: datetime,
    *,
    context: Any,
    also: Sequence[str] = (),
) -> Activity:
    """Forget an object's content and send Delete{Tombstone} to its audience (and `also`)."""
    obj.deleted_at = obj.updated_at = now
    obj.content, obj.content_map, obj.summary, obj.name = "", {}, None, None
    obj.attachments, obj.tags, obj.extra = [], [], {}
    await session.flush()
    gone = tombstone(obj.uri, obj.ap_type, now)
    gone.pop("@context")
    to = list(obj.audience.get("to", []))
    cc = list(dict.fromkeys([*obj.audience.get("cc", []), *also]))
    return await publish(
        session, uris, author, "Delete", obj=gone, to=to, cc=cc, now=now,
        extra={"@context": context},
    )  # fmt: skip
