"""Follow of one of our actors by a remote actor: store it and, unless approval is needed, Accept.

Interop: Mastodon only takes an Accept whose `object` embeds the Follow, so the Accept carries
the Follow as received. A repeated Follow of the same pair (the sender lost our Accept, or sends
its request again) takes the place of the one we keep, as in Mastodon: the stored follow gets
its id, and an accepted one gets the Accept again. Our node actor takes trusted peers' node
actors only; another node's Follow waits until its node is added as a peer (actors/peering.py
then accepts it). A Follow from an actor the target blocks gets a Reject, as in Mastodon.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, bindparam, or_, select

from smartnode.actors.hiding import blocks
from smartnode.actors.peering import their_follow_accepted
from smartnode.content.social_notices import notify_followed
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

log = logging.getLogger("smartnode.peers")

#: Document-level keys that do not belong to an embedded copy of the Follow.
_NOT_EMBEDDED = ("@context", "signature")
#: Built once: every Follow asks it. The follow of the pair, and the one holding the id.
_OF_PAIR_OR_URI = select(Follow).where(
    or_(
        and_(
            Follow.follower_id == bindparam("follower_id"),
            Follow.followed_id == bindparam("followed_id"),
        ),
        Follow.uri == bindparam("uri"),
    )
)


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
    if await blocks(ctx.session, target.id, follower.id):
        await publish(ctx.session, ctx.uris, target, "Reject", obj=embedded_follow(incoming.body),
                      to=[follower.uri], now=ctx.now)  # fmt: skip
        return processed("follow refused: the follower is blocked")
    found = await ctx.session.scalars(
        _OF_PAIR_OR_URI, {"follower_id": follower.id, "followed_id": target.id, "uri": incoming.id}
    )
    existing = taken = None
    for follow in found.all():
        if follow.follower_id == follower.id and follow.followed_id == target.id:
            existing = follow
        if follow.uri == incoming.id:
            taken = follow
    if taken is not None and taken is not existing:
        return ignored("the Follow id is already used by another follow")
    if existing is not None:
        return await _repeated(ctx, incoming, existing, target, follower)
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
    await notify_followed(ctx.session, follower, target, pending=state == PENDING, now=ctx.now)
    if state == PENDING:
        if target.kind == "node":
            log.info("Follow of our node actor by %s waits: not a trusted peer", follower.uri)
        return processed("follow request awaits approval")
    await send_accept(ctx, target, follower, embedded_follow(incoming.body))
    if target.kind == "node":
        await their_follow_accepted(ctx.session, follower, ctx.now, new=True)
    return processed("follow accepted")


async def _repeated(
    ctx: InboxContext, incoming: Incoming, existing: Follow, target: Actor, follower: Actor
) -> Outcome:
    """A Follow of a pair we keep: it takes the stored one's id; accepted, Accept again. A
    peer's request that waited is accepted now if its node has become trusted meanwhile."""
    existing.uri = incoming.id
    waited = existing.state != ACCEPTED
    if waited and target.kind == "node" and await follow_state(ctx, target, follower) == ACCEPTED:
        existing.state = ACCEPTED
    await ctx.session.flush()
    if existing.state != ACCEPTED:
        return processed("repeated follow request: it now has the new Follow's id")
    await send_accept(ctx, target, follower, embedded_follow(incoming.body))
    if target.kind == "node":
        await their_follow_accepted(ctx.session, follower, ctx.now, new=waited)
    return processed("follow request accepted" if waited else "repeated Follow: Accept sent again")
