"""A member's home timeline: the posts, calls and events of the members and projects they
follow (here or on any server), and their own, newest first (keyset by row id).

What the member may read only: public, unlisted and followers-only items (following the author
is what makes them readable). Replies, and posts to a team or to mentioned people, reach the
member as notifications instead.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import ACCEPTED
from smartnode.content.inputs import Visibility
from smartnode.content.terms import ANNOUNCEMENT, CALL, EVENT
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.windows import IdWindow, newest_first, windowed

KINDS = (ANNOUNCEMENT, CALL, EVENT)
SHOWN = (Visibility.PUBLIC.value, Visibility.UNLISTED.value, Visibility.FOLLOWERS.value)


async def home_timeline(
    session: AsyncSession,
    member: Actor,
    *,
    limit: int,
    before_id: int | None = None,
    window: IdWindow | None = None,
) -> list[tuple[ContentObject, Actor]]:
    """Up to `limit` items of the member's home timeline older than `before_id` (or in
    `window`, as the Mastodon API pages it), newest first, each with its author."""
    followed = select(Follow.followed_id).where(
        Follow.follower_id == member.id, Follow.state == ACCEPTED
    )
    query = (
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(
            or_(ContentObject.actor_id.in_(followed), ContentObject.actor_id == member.id),
            ContentObject.kind.in_(KINDS),
            ContentObject.visibility.in_(SHOWN),
            ContentObject.deleted_at.is_(None),
            Actor.deleted_at.is_(None),
        )
    )
    window = window or IdWindow(limit=limit, max_id=before_id)
    found = await session.execute(windowed(query, ContentObject.id, window))
    return newest_first([(obj, author) for obj, author in found.all()], window)
