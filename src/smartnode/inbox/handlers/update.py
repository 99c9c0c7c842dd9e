"""Update of an actor by itself: refetch it from its origin, never trust the embedded copy.

The refetched document is stored through store_remote_actor, which refuses a silent key swap.
Update of other objects (notes, events, calls) is ignored until content arrives.
"""

from __future__ import annotations

from smartnode.actors.remote import ACTOR_TYPES
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    processed,
    same_origin,
)


async def on_update(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Refresh the sending actor's profile from its own origin."""
    object_id = incoming.object_id
    if object_id is None:
        return ignored("the Update names no object id")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Update id is not on its actor's origin")
    if object_id != incoming.actor_uri:
        obj = incoming.object
        if isinstance(obj, dict) and obj.get("type") in ACTOR_TYPES:
            return ignored("an actor may only update itself")
        return ignored("Update of objects other than actors is not handled yet")
    actor = await ctx.resolver.actor(incoming.actor_uri, refresh=True)
    if actor is None:
        return ignored("the actor could not be refetched from its origin")
    return processed("actor refreshed from its origin")
