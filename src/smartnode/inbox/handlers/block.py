"""Block of a local actor by a remote one: the follows between the two are removed both ways.

Nothing is sent back: the blocker already knows. The block itself is not stored yet.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, or_

from smartnode.actors.remote import get_remote_actor
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    local_target,
    processed,
)
from smartnode.storage.models import Follow


async def on_block(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Cut every follow between the blocking remote actor and the blocked local actor."""
    target = await local_target(ctx, incoming.object_id)
    if target is None:
        return ignored("the Block names no live local actor")
    blocker = await get_remote_actor(ctx.session, incoming.actor_uri)
    if blocker is None:
        return ignored("the blocker has no follows here")
    result = await ctx.session.execute(
        delete(Follow)
        .where(
            or_(
                and_(Follow.follower_id == blocker.id, Follow.followed_id == target.id),
                and_(Follow.follower_id == target.id, Follow.followed_id == blocker.id),
            )
        )
        .returning(Follow.id),
        execution_options={"synchronize_session": False},
    )
    removed = len(result.all())
    return processed(f"block: {removed} follow(s) removed")
