"""Block of a local actor by a remote one, and its Undo.

As Mastodon on a Block it receives: the follows between the two are cut both ways (our
actor's follow of the blocker is undone with Undo(Follow), the blocker's follow of ours
refused with Reject(Follow), so both servers agree), and the block is kept: the member sees
it as `blocked_by`, and the blocker's statuses leave their timelines. A repeated Block only
renews the kept id. Undo(Block) by the blocker removes it.
"""

from __future__ import annotations

from typing import Any

from smartnode.actors.account_blocks import blocked_by_remote, unblocked_by_remote
from smartnode.actors.remote import get_remote_actor
from smartnode.federation.vocab import id_of
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    local_target,
    processed,
    same_origin,
)


async def on_block(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Keep a remote actor's block of a local actor and cut every follow between them."""
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Block id is not on the blocker's origin")
    target = await local_target(ctx, incoming.object_id)
    if target is None:
        return ignored("the Block names no live local actor")
    blocker = await ctx.resolver.actor(incoming.actor_uri)
    if blocker is None or blocker.local or blocker.deleted_at is not None:
        return ignored("the blocker could not be resolved")
    if not await blocked_by_remote(ctx.session, ctx.uris, blocker, target, incoming.id, ctx.now):
        return processed("repeated block: its id renewed")
    return processed("block kept; the follows between them cut")


async def on_undo_block(ctx: InboxContext, incoming: Incoming, obj: Any) -> Outcome:
    """The blocker takes back their Block (named by id, or embedded)."""
    blocker = await get_remote_actor(ctx.session, incoming.actor_uri)
    if blocker is None:
        return ignored("the blocker blocks nobody here")
    if isinstance(obj, dict) and id_of(obj.get("actor")) != incoming.actor_uri:
        return ignored("the Undo takes back someone else's Block")
    target_uri = id_of(obj.get("object")) if isinstance(obj, dict) else None
    target = await local_target(ctx, target_uri) if target_uri else None
    if not await unblocked_by_remote(ctx.session, blocker, target, id_of(obj)):
        return ignored("the Undo names no block of its actor")
    return processed("block undone by its actor")
