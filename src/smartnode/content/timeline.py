"""A member's home timeline: the posts, calls and events of the members and projects they
follow (here or on any server), and their own, newest first (keyset by row id).

What the member may read only: public, unlisted and followers-only items (following the author
is what makes them readable). Replies, and posts to a team or to mentioned people, reach the
member as notifications instead. With `boosts`, also the public and unlisted statuses those
they follow boosted (Announce), at the status's own place (its row id), shown as reblogs.
Those on one of the member's exclusive lists reach that list only, as on Mastodon.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import ACCEPTED
from smartnode.actors.hiding import hidden_authors
from smartnode.content.inputs import Visibility
from smartnode.content.reactions import ANNOUNCE
from smartnode.content.terms import ANNOUNCEMENT, CALL, EVENT
from smartnode.storage.models import Actor, ContentObject, Follow, Reaction
from smartnode.storage.models_lists import ListAccount, MemberList
from smartnode.storage.windows import IdWindow, newest_first, windowed

KINDS = (ANNOUNCEMENT, CALL, EVENT)
SHOWN = (Visibility.PUBLIC.value, Visibility.UNLISTED.value, Visibility.FOLLOWERS.value)
OPEN = (Visibility.PUBLIC.value, Visibility.UNLISTED.value)


async def home_timeline(
    session: AsyncSession,
    member: Actor,
    *,
    limit: int,
    before_id: int | None = None,
    window: IdWindow | None = None,
    boosts: bool = False,
    now: datetime | None = None,
) -> list[tuple[ContentObject, Actor]]:
    """Up to `limit` items of the member's home timeline older than `before_id` (or in
    `window`, as the Mastodon API pages it), newest first, each with its author; nothing by
    or boosted by those the member blocks, mutes (at `now`) or is blocked by."""
    followed = _followed(member)
    hidden = hidden_authors(member.id, now or datetime.now(UTC))
    mine = or_(ContentObject.actor_id.in_(followed), ContentObject.actor_id == member.id)
    if boosts:
        boosted = select(Reaction.object_id).where(
            Reaction.kind == ANNOUNCE,
            Reaction.actor_id.in_(followed),
            Reaction.actor_id.not_in(hidden),
        )
        mine = or_(mine, and_(ContentObject.id.in_(boosted), ContentObject.visibility.in_(OPEN)))
    query = (
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(
            mine,
            ContentObject.actor_id.not_in(hidden),
            ContentObject.kind.in_(KINDS),
            ContentObject.visibility.in_(SHOWN),
            ContentObject.deleted_at.is_(None),
            Actor.deleted_at.is_(None),
        )
    )
    window = window or IdWindow(limit=limit, max_id=before_id)
    found = await session.execute(windowed(query, ContentObject.id, window))
    return newest_first([(obj, author) for obj, author in found.all()], window)


def _followed(member: Actor) -> Select[int]:
    """Those the member follows whose statuses and boosts reach home: not those on one of
    the member's exclusive lists (Mastodon's `exclusive`: they show on that list only)."""
    return select(Follow.followed_id).where(
        Follow.follower_id == member.id,
        Follow.state == ACCEPTED,
        Follow.followed_id.not_in(exclusively_listed(member.id)),
    )


def exclusively_listed(member_id: int) -> Select[int]:
    """Ids of the accounts on the member's exclusive lists."""
    return (
        select(ListAccount.actor_id)
        .join(MemberList, MemberList.id == ListAccount.list_id)
        .where(MemberList.actor_id == member_id, MemberList.exclusive.is_(True))
    )


async def boosters(
    session: AsyncSession, member: Actor, items: Sequence[tuple[ContentObject, Actor]]
) -> dict[int, tuple[Actor, Reaction]]:
    """For the items of a home timeline that are there as boosts (their author is neither
    the member nor followed), who of those followed boosted each (the latest) and the boost
    (those the member hides left out)."""
    ids = [obj.id for obj, _ in items]
    if not ids:
        return {}
    rows = await session.execute(
        select(Reaction, Actor)
        .join(Actor, Actor.id == Reaction.actor_id)
        .join(ContentObject, ContentObject.id == Reaction.object_id)
        .where(Reaction.kind == ANNOUNCE, Reaction.object_id.in_(ids),
               Reaction.actor_id.in_(_followed(member)), Actor.deleted_at.is_(None),
               ContentObject.actor_id != member.id,
               ContentObject.actor_id.not_in(_followed(member)),
               Reaction.actor_id.not_in(hidden_authors(member.id, datetime.now(UTC))))
        .order_by(Reaction.id)
    )  # fmt: skip
    return {boost.object_id: (actor, boost) for boost, actor in rows.all()}
