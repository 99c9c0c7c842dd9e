"""A member's bookmarks: statuses they may read, kept for later. Private to the member:
nothing is federated and nobody else sees them. Services never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.statuses import status_by_id
from smartnode.content.threads import Item, Reader
from smartnode.storage.models import Actor, ContentObject, table
from smartnode.storage.models_marks import Bookmark
from smartnode.storage.upsert import insert_ignoring_conflicts
from smartnode.storage.windows import IdWindow, newest_first, windowed

READ_BOOKMARKS, WRITE_BOOKMARKS = "read:bookmarks", "write:bookmarks"
#: Bookmarks read per window when the member's rights are checked in Python.
SCAN = 200


async def bookmark(session: AsyncSession, member: Actor, status_id: int, now: datetime) -> Item:
    """The member bookmarks a status they may read (once)."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    row = {"actor_id": member.id, "object_id": obj.id, "created_at": now}
    await insert_ignoring_conflicts(session, table(Bookmark), [row])
    return obj, author


async def unbookmark(session: AsyncSession, member: Actor, status_id: int, now: datetime) -> Item:
    """The member forgets a bookmark (nothing if there was none)."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    await session.execute(
        delete(Bookmark).where(Bookmark.actor_id == member.id, Bookmark.object_id == obj.id)
    )
    return obj, author


async def bookmarked_statuses(
    session: AsyncSession, member: Actor, window: IdWindow
) -> list[tuple[int, Item]]:
    """(bookmark id, status) of the member's bookmarks they may still read, newest first."""
    query = (
        select(Bookmark.id, ContentObject, Actor)
        .join(ContentObject, ContentObject.id == Bookmark.object_id)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(
            Bookmark.actor_id == member.id,
            ContentObject.deleted_at.is_(None),
            Actor.deleted_at.is_(None),
        )
    )
    rows = (await session.execute(windowed(query, Bookmark.id, window, scan=SCAN))).all()
    reader = Reader(member)
    found = [(bid, (o, a)) for bid, o, a in rows if await reader.may_read(session, o, a)]
    return newest_first(found, window)
