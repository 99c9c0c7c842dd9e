"""A member's pinned statuses: up to five of their own public or unlisted statuses, shown first
on their profile and listed in their `featured` collection (beside their open calls), as
Mastodon does. Pinning a public status sends Add (unpinning Remove) with the collection as
target to the followers. Services never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.calls_federate import featured_calls
from smartnode.content.calls_federate import pin as pin_on_featured
from smartnode.content.calls_to_ap import CALL_CONTEXT
from smartnode.content.inputs import Visibility
from smartnode.content.statuses import status_by_id
from smartnode.content.threads import Item, Reader
from smartnode.content.to_ap import object_to_ap
from smartnode.errors import ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_marks import Pin

MAX_PINS = 5
PINNABLE = (Visibility.PUBLIC.value, Visibility.UNLISTED.value)


async def pin(
    session: AsyncSession, uris: NodeUris, member: Actor, status_id: int, now: datetime
) -> Item:
    """The member pins one of their own public or unlisted statuses (422 otherwise)."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    if obj.actor_id != member.id:
        raise ValidationFailed("Validation failed: Someone else's post cannot be pinned")
    if obj.visibility not in PINNABLE:
        raise ValidationFailed("Validation failed: Non-public toot cannot be pinned")
    if await _pin_of(session, member, obj) is not None:
        return obj, author
    pinned = await session.scalar(
        select(func.count(Pin.id))
        .join(ContentObject, ContentObject.id == Pin.object_id)
        .where(Pin.actor_id == member.id, ContentObject.deleted_at.is_(None))
    )  # pins of deleted statuses do not count
    if (pinned or 0) >= MAX_PINS:
        raise ValidationFailed("Validation failed: You have already pinned the maximum "
                               f"number of posts ({MAX_PINS})")  # fmt: skip
    session.add(Pin(actor_id=member.id, object_id=obj.id, created_at=now))
    await session.flush()
    await pin_on_featured(session, uris, member, obj, "Add", now)
    return obj, author


async def unpin(
    session: AsyncSession, uris: NodeUris, member: Actor, status_id: int, now: datetime
) -> Item:
    """The member unpins a status of theirs (nothing if it was not pinned)."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    found = await _pin_of(session, member, obj)
    if found is None:
        return obj, author
    await session.execute(delete(Pin).where(Pin.id == found.id))
    await pin_on_featured(session, uris, member, obj, "Remove", now)
    return obj, author


async def _pin_of(session: AsyncSession, member: Actor, obj: ContentObject) -> Pin | None:
    return await session.scalar(
        select(Pin).where(Pin.actor_id == member.id, Pin.object_id == obj.id)
    )


async def pinned_statuses(session: AsyncSession, reader: Reader, actor: Actor) -> list[Item]:
    """The actor's pinned statuses the reader may read, the latest pinned first."""
    rows = await session.execute(
        select(ContentObject, Actor)
        .join(Pin, Pin.object_id == ContentObject.id)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(Pin.actor_id == actor.id, ContentObject.deleted_at.is_(None),
               Actor.deleted_at.is_(None))
        .order_by(Pin.id.desc())
    )  # fmt: skip
    return [(o, a) for o, a in rows.all() if await reader.may_read(session, o, a)]


async def featured_collection(
    session: AsyncSession, actor: Actor, uri: str, now: datetime
) -> dict[str, Any]:
    """The actor's `featured` collection: its pinned public statuses (embedded, as Mastodon
    serves them), then its open calls."""
    doc = await featured_calls(session, actor, uri, now)
    pinned = [obj for obj, _ in await pinned_statuses(session, Reader(None), actor)
              if obj.visibility == Visibility.PUBLIC.value]  # fmt: skip
    if not pinned:
        return doc
    items = [object_to_ap(obj, actor.uri, context=False) for obj in pinned]
    items += [i for i in doc["orderedItems"] if i.get("id") not in {o.uri for o in pinned}]
    return {**doc, "@context": CALL_CONTEXT, "totalItems": len(items), "orderedItems": items}
