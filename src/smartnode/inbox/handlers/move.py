"""Move of a remote actor: our members and projects who followed it follow its new account.

Rules (PROTOCOL.md "Origin and authority"): only by the moving actor; the target, refetched
from its origin, must list the origin in `alsoKnownAs`; one move per actor per 30 days.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from smartnode.actors.follows import follow, unfollow
from smartnode.actors.remote import get_remote_actor
from smartnode.federation.vocab import first_id
from smartnode.inbox.context import InboxContext, Incoming, Outcome, ignored, processed
from smartnode.storage.models import Actor, Follow

COOLDOWN = timedelta(days=30)


async def on_move(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Re-point local follows from the moving actor to its new account."""
    origin_uri, target_uri = incoming.object_id, first_id(incoming.body.get("target"))
    if origin_uri != incoming.actor_uri:
        return ignored("a Move is accepted only from the moving actor itself")
    if not target_uri or target_uri == origin_uri or ctx.uris.is_local(target_uri):
        return ignored("the Move has no usable target")
    origin = await get_remote_actor(ctx.session, origin_uri)
    if origin is None or origin.deleted_at is not None:
        return ignored("nobody here knows the moving actor")
    if origin.moved_to_uri == target_uri:
        return ignored("this move was processed already")
    if origin.moved_to_uri and ctx.now - origin.updated_at < COOLDOWN:
        return ignored("the actor moved less than 30 days ago")
    target = await ctx.resolver.actor(target_uri, refresh=True)
    if target is None or origin_uri not in target.also_known_as:
        return ignored("the target does not list the origin in alsoKnownAs")
    origin.moved_to_uri = target.uri
    origin.updated_at = ctx.now
    moved = 0
    for follower in await _local_followers(ctx, origin.id):
        await follow(ctx.session, ctx.uris, follower, target.uri, ctx.resolver, ctx.now)
        await unfollow(ctx.session, ctx.uris, follower, origin.uri, ctx.now)
        moved += 1
    return processed(f"move: {moved} local follow(s) moved to {target.uri}")


async def _local_followers(ctx: InboxContext, actor_id: int) -> list[Actor]:
    rows = await ctx.session.scalars(
        select(Actor)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(Follow.followed_id == actor_id, Actor.local.is_(True), Actor.deleted_at.is_(None))
    )
    return list(rows.all())
