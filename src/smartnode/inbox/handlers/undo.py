"""Undo of a Follow by its follower, or of a Like/Announce by the actor who made it.

The object may be the activity's id or the embedded activity. An embedded one must name the
Undo's actor as its actor; its id is matched first, then (as Mastodon does) the pair
actor → target. Only follows and reactions whose actor IS the Undo's actor are ever touched.
Undo of a Block goes to handlers/block.py (by its id, or embedded).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from smartnode.actors.peer_states import their_follow_ended
from smartnode.content.reactions import ANNOUNCE, LIKE, reaction_of, remove_reaction
from smartnode.federation.vocab import id_of
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    local_target,
    processed,
)
from smartnode.inbox.handlers import block, offer
from smartnode.storage.models import Actor, Follow, Reaction

#: Activity types whose Undo takes back a reaction, and the reaction kind each one is.
REACTIONS = {"Like": LIKE, "Announce": ANNOUNCE}


async def _by_uri(ctx: InboxContext, follow_uri: str, follower_uri: str) -> Follow | None:
    follower, followed = aliased(Actor), aliased(Actor)
    return await ctx.session.scalar(
        select(Follow)
        .join(follower, Follow.follower_id == follower.id)
        .join(followed, Follow.followed_id == followed.id)
        .where(
            Follow.uri == follow_uri,
            follower.uri == follower_uri,
            follower.local.is_(False),
            followed.local.is_(True),
        )
    )


async def _by_pair(ctx: InboxContext, follower_uri: str, target_uri: str | None) -> Follow | None:
    target = await local_target(ctx, target_uri)
    if target is None:
        return None
    follower = aliased(Actor)
    return await ctx.session.scalar(
        select(Follow)
        .join(follower, Follow.follower_id == follower.id)
        .where(
            Follow.followed_id == target.id,
            follower.uri == follower_uri,
            follower.local.is_(False),
        )
    )


async def undone_follow(ctx: InboxContext, incoming: Incoming, obj: Any) -> Follow | str:
    """The follow an Undo takes back, or why there is none."""
    if isinstance(obj, str):
        found = await _by_uri(ctx, obj, incoming.actor_uri)
        return found if found is not None else "the Undo names no follow of its actor"
    if not isinstance(obj, dict):
        return "the Undo has no object"
    if obj.get("type") != "Follow":
        return f"Undo of {obj.get('type')!s} is not handled yet"
    if id_of(obj.get("actor")) != incoming.actor_uri:
        return "the Undo takes back someone else's Follow"
    follow_uri = id_of(obj)
    found = await _by_uri(ctx, follow_uri, incoming.actor_uri) if follow_uri else None
    if found is None:
        found = await _by_pair(ctx, incoming.actor_uri, id_of(obj.get("object")))
    return found if found is not None else "the Undo names no follow of its actor"


async def undone_reaction(ctx: InboxContext, incoming: Incoming, obj: Any) -> Reaction | str:
    """The Like or Announce an Undo takes back, or why there is none."""
    kinds, object_uri = tuple(REACTIONS.values()), None
    if isinstance(obj, dict):
        if id_of(obj.get("actor")) != incoming.actor_uri:
            return f"the Undo takes back someone else's {obj.get('type')}"
        kinds, object_uri = (REACTIONS[str(obj.get("type"))],), id_of(obj.get("object"))
    for kind in kinds:
        found = await reaction_of(
            ctx.session, incoming.actor_uri, uri=id_of(obj), object_uri=object_uri, kind=kind
        )
        if found is not None:
            return found
    what = obj.get("type") if isinstance(obj, dict) else "Like or Announce"
    return f"the Undo names no {what} of its actor"


async def on_undo(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A remote actor stops following a local actor, or takes back a Like or Announce."""
    application = await offer.withdrawn(ctx, incoming)
    if application is not None:
        return application
    obj = incoming.object
    if isinstance(obj, str) or (isinstance(obj, dict) and obj.get("type") in REACTIONS):
        reaction = await undone_reaction(ctx, incoming, obj)
        if not isinstance(reaction, str):
            await remove_reaction(ctx.session, reaction)
            return processed(f"{reaction.kind} undone by its actor")
        if isinstance(obj, dict):
            return ignored(reaction)
    if isinstance(obj, dict) and obj.get("type") == "Block":
        return await block.on_undo_block(ctx, incoming, obj)
    follow = await undone_follow(ctx, incoming, incoming.object)
    if isinstance(follow, str) and isinstance(obj, str):
        unblocked = await block.on_undo_block(ctx, incoming, obj)
        return unblocked if unblocked.status == "processed" else ignored(follow)
    if isinstance(follow, str):
        return ignored(follow)
    followed_id = follow.followed_id
    await ctx.session.delete(follow)
    await ctx.session.flush()
    await their_follow_ended(ctx.session, incoming.actor_uri, followed_id, ctx.now)
    return processed("follow undone by its follower")
