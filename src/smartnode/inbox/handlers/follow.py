"""Follow of one of our actors by a remote actor: store it and, unless approval is needed, Accept.

Interop: Mastodon only takes an Accept whose `object` embeds the Follow, so the Accept carries
the Follow as received. A repeated Follow of the same pair (the sender lost our Accept or
follows again after a lost Undo) gets the Accept again and changes nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartnode.inbox.context import (
    ACCEPTED,
    PENDING,
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    local_target,
    processed,
    same_origin,
)
from smartnode.outbox.publish import publish
from smartnode.storage.models import Actor, Follow, Peer

#: Document-level keys that do not belong to an embedded copy of the Follow.
_NOT_EMBEDDED = ("@context", "signature")


def embedded_follow(body: dict[str, Any]) -> dict[str, Any]:
    """The Follow as received, fit to embed as the `object` of our Accept."""
    return {key: value for key, value in body.items() if key not in _NOT_EMBEDDED}


async def follow_state(ctx: InboxContext, target: Actor, follower: Actor) -> str:
    """Accepted at once, or pending: the node actor takes trusted peers only."""
    if target.kind == "node":
        peer = await ctx.session.scalar(select(Peer.host).where(Peer.actor_uri == follower.uri))
        return ACCEPTED if peer is not None else PENDING
    return PENDING if target.manually_approves_followers else ACCEPTED


async def send_accept(ctx: InboxContext, target: Actor, follower: Actor, follow: Any) -> None:
    """Publish `target`'s Accept of `follow` to the follower (transactional outbox)."""
    await publish(
        ctx.session, ctx.uris, target, "Accept", obj=follow, to=[follower.uri], now=ctx.now
    )


async def on_follow(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Store a remote actor's Follow of a local actor; Accept it unless approval is needed."""
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Follow id is not on the follower's origin")
    target = await local_target(ctx, incoming.object_id)
    if target is None:
        return ignored("the Follow names no live local actor")
    follower = await ctx.resolver.actor(incoming.actor_uri)
    if follower is None or follower.local or follower.deleted_at is not None:
        return ignored("the follower could not be resolved")
    existing = await ctx.session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == target.id)
    )
    if existing is not None:
        if existing.state != ACCEPTED:
            return ignored("this follow request is already pending")
        await send_accept(ctx, target, follower, embedded_follow(incoming.body))
        return processed("repeated Follow: Accept sent again")
    if await ctx.session.scalar(select(Follow.id).where(Follow.uri == incoming.id)) is not None:
        return ignored("the Follow id is already used by another follow")
    state = await follow_state(ctx, target, follower)
    ctx.session.add(
        Follow(
            uri=incoming.id,
            follower_id=follower.id,
            followed_id=target.id,
            state=state,
            created_at=ctx.now,
        )
    )
    await ctx.session.flush()
    if state == PENDING:
        return processed("follow request awaits approval")
    await send_accept(ctx, target, follower, embedded_follow(incoming.body))
    return processed("follow accepted")
