"""Threads: the replies we store to an object (ours or remote) and the posts it answers.

A reply is any stored object whose `in_reply_to_uri` names its parent. Readers see public and
unlisted items; a member also sees what is addressed to them (content/access.py) and their own.
Walks are bounded: ancestors by depth, descendants by count (breadth-first, oldest first per
level), so a long or looping thread costs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_STATUSES, maybe_member
from smartnode.actors.collections import Source
from smartnode.content.access import in_audience
from smartnode.content.audience import OPEN, recipients
from smartnode.content.lifecycle import local_object
from smartnode.errors import Gone, NotFound
from smartnode.storage.models import Actor, ContentObject

MAX_ANCESTORS = 40
MAX_DESCENDANTS = 200
#: Rows a member's walk reads per level before the audience check thins them out.
SCAN_PER_LEVEL = 4 * MAX_DESCENDANTS
OPEN_VALUES = tuple(v.value for v in OPEN)

Item = tuple[ContentObject, Actor]


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads a thread: nobody in particular, or a member (`actor`)."""

    actor: Actor | None = None

    async def may_read(self, session: AsyncSession, obj: ContentObject, author: Actor) -> bool:
        """Public and unlisted for all; the member's own and those addressed to them."""
        if obj.visibility in OPEN_VALUES:
            return True
        if self.actor is None:
            return False
        if obj.actor_id == self.actor.id:
            return True
        return await in_audience(session, recipients(obj.audience), author, self.actor.uri)


def _live() -> Select[ContentObject, Actor]:
    return (
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.deleted_at.is_(None), Actor.deleted_at.is_(None))
    )


def replies_source(parent_uri: str) -> Source:
    """(row id, uri) of the public and unlisted live replies to `parent_uri`, for paging."""
    query = (
        select(ContentObject.id, ContentObject.uri)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.in_reply_to_uri == parent_uri)
        .where(ContentObject.visibility.in_(OPEN_VALUES), ContentObject.deleted_at.is_(None))
        .where(Actor.deleted_at.is_(None))
    )
    return Source(query, ContentObject.id)


async def open_replies(
    session: AsyncSession, parent_uri: str, *, limit: int, after_id: int | None = None
) -> tuple[list[Item], bool]:
    """Public and unlisted direct replies, oldest first after `after_id`; whether more follow."""
    query = _live().where(
        ContentObject.in_reply_to_uri == parent_uri, ContentObject.visibility.in_(OPEN_VALUES)
    )
    if after_id is not None:
        query = query.where(ContentObject.id > after_id)
    rows = (await session.execute(query.order_by(ContentObject.id).limit(limit + 1))).all()
    return [(obj, author) for obj, author in rows[:limit]], len(rows) > limit


async def ancestors(
    session: AsyncSession, obj: ContentObject, reader: Reader, *, depth: int = MAX_ANCESTORS
) -> list[Item]:
    """The posts `obj` answers, root first, up to the first one we lack or may not read."""
    found: list[Item] = []
    seen = {obj.uri}
    parent_uri = obj.in_reply_to_uri
    while parent_uri and parent_uri not in seen and len(found) < depth:
        seen.add(parent_uri)
        row = (await session.execute(_live().where(ContentObject.uri == parent_uri))).first()
        if row is None or not await reader.may_read(session, row[0], row[1]):
            break
        found.append((row[0], row[1]))
        parent_uri = row[0].in_reply_to_uri
    return list(reversed(found))


async def descendants(
    session: AsyncSession, obj: ContentObject, reader: Reader, *, limit: int = MAX_DESCENDANTS
) -> list[Item]:
    """The replies to `obj` and to its replies, level by level, oldest first in each level.

    A reply the reader may not read hides the replies beneath it.
    """
    found: list[Item] = []
    seen = {obj.uri}
    level = [obj.uri]
    while level and len(found) < limit:
        rows = await _children(session, level, reader, limit - len(found))
        level = []
        for child, author in rows:
            if child.uri in seen or not await reader.may_read(session, child, author):
                continue
            seen.add(child.uri)
            found.append((child, author))
            level.append(child.uri)
            if len(found) >= limit:
                break
    return found


async def _children(
    session: AsyncSession, parents: Sequence[str], reader: Reader, wanted: int
) -> list[Item]:
    query = _live().where(ContentObject.in_reply_to_uri.in_(parents))
    if reader.actor is None:
        query = query.where(ContentObject.visibility.in_(OPEN_VALUES))
    scan = wanted if reader.actor is None else SCAN_PER_LEVEL
    ordered = query.order_by(ContentObject.published_at, ContentObject.id).limit(scan)
    return [(child, author) for child, author in (await session.execute(ordered)).all()]


async def thread_of(
    session: AsyncSession, principal: Principal, uri: str, what: str
) -> tuple[list[Item], list[Item]]:
    """(ancestors, descendants) of our object at `uri`, as the principal may read them: the
    public and unlisted for everyone, and with `read:statuses` what is addressed to the
    member. NotFound when they may not read the object itself."""
    obj = await local_object(session, uri, what)
    author = await session.get(Actor, obj.actor_id)
    if author is None or author.deleted_at is not None:
        raise Gone(f"the author of this {what} was deleted")
    reader = Reader(await maybe_member(session, principal, READ_STATUSES))
    if not await reader.may_read(session, obj, author):
        raise NotFound(f"no such {what} on this node")
    return await ancestors(session, obj, reader), await descendants(session, obj, reader)
