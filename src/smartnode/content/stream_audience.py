"""Who hears of a status on the streaming API: the same rules as the timelines they stream.

- a member's home (`user`): content/timeline.py's rule (their own items and those of whom they
  follow, public, unlisted or followers-only; no replies, no team or direct posts);
- the public streams: content/statuses.py's public timeline (public, no replies; this node's
  for `local`, others' for `remote`);
- a hashtag's: public statuses with the tag (replies too), as the hashtag timeline;
- none of them, for a member, by those they block, mute or are blocked by.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import ACCEPTED
from smartnode.actors.hiding import hidden_ids
from smartnode.content import statuses, timeline
from smartnode.content.board import tag_names
from smartnode.content.inputs import Visibility
from smartnode.content.terms import REPLY
from smartnode.content.threads import Item
from smartnode.matching.terms import fold
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.models_work import Notification


async def status_row(
    session: AsyncSession, object_id: int, *, deleted: bool = False
) -> Item | None:
    """A status and its author (a deleted one only when `deleted`), or None."""
    query = (
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.id == object_id, ContentObject.kind.in_(statuses.KINDS))
    )
    if not deleted:
        query = query.where(ContentObject.deleted_at.is_(None), Actor.deleted_at.is_(None))
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def in_home(session: AsyncSession, member: Actor, obj: ContentObject) -> bool:
    """Whether the status belongs to the member's home timeline."""
    if obj.kind not in timeline.KINDS or obj.visibility not in timeline.SHOWN:
        return False
    if obj.actor_id == member.id:
        return True
    follow = await session.scalar(
        select(Follow.id).where(
            Follow.follower_id == member.id,
            Follow.followed_id == obj.actor_id,
            Follow.state == ACCEPTED,
            Follow.followed_id.not_in(timeline.exclusively_listed(member.id)),
        )
    )
    return follow is not None


async def status_by_uri(session: AsyncSession, uri: str) -> Item | None:
    """The live status of `uri` and its author, or None."""
    query = (
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.uri == uri, ContentObject.kind.in_(statuses.KINDS),
               ContentObject.deleted_at.is_(None), Actor.deleted_at.is_(None))
    )  # fmt: skip
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def hidden_from(session: AsyncSession, member: Actor, obj: ContentObject) -> bool:
    """Whether the status's author is one the member blocks, mutes or is blocked by (left
    out of every stream of theirs, as of their timelines)."""
    return obj.actor_id in await hidden_ids(session, member.id, datetime.now(UTC))


def _from(obj: ContentObject, *, local: bool, remote: bool) -> bool:
    return not (local and not obj.local) and not (remote and obj.local)


def on_public(obj: ContentObject, *, local: bool = False, remote: bool = False) -> bool:
    """Whether the status belongs to the public timeline (of this node, of others)."""
    return (obj.visibility == Visibility.PUBLIC.value and obj.kind != REPLY
            and _from(obj, local=local, remote=remote))  # fmt: skip


def on_hashtag(obj: ContentObject, tag: str, *, local: bool = False) -> bool:
    """Whether the status belongs to the hashtag's timeline (of this node only: `local`)."""
    wanted = fold(tag.lstrip("#"))
    return (bool(wanted) and obj.visibility == Visibility.PUBLIC.value
            and wanted in tag_names(obj) and _from(obj, local=local, remote=False))  # fmt: skip


async def notification_row(
    session: AsyncSession, member_id: int, kind: str, uri: str
) -> Notification | None:
    """The notification of a member for (kind, object), as recorded."""
    return await session.scalar(
        select(Notification).where(
            Notification.actor_id == member_id,
            Notification.kind == kind,
            Notification.object_uri == uri,
        )
    )
