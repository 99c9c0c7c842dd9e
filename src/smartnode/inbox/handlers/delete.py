"""Delete: of an actor by itself (mark it deleted, drop its follows and event participations),
or of one of its objects.

For an object on the actor's origin we record a DeletedObject marker (so a late Create is
ignored). A stored object is deleted only by the actor we stored as its owner: its content
is purged, it stops counting as a reply.
"""

from __future__ import annotations

from sqlalchemy import delete, or_

from smartnode.actors.remote import get_remote_actor
from smartnode.content.participation import forget_participant
from smartnode.content.reactions import count_reply
from smartnode.content.relay import relay_change, relaying_projects
from smartnode.content.remote import purge, stored_object
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    mark_deleted,
    processed,
    same_origin,
)
from smartnode.matching.feeds import refresh_call_feeds
from smartnode.storage.models import Actor, Follow


async def _delete_actor(ctx: InboxContext, actor_uri: str) -> Outcome:
    actor = await get_remote_actor(ctx.session, actor_uri)
    await mark_deleted(ctx, actor_uri, actor_uri)
    if actor is None:
        return processed("unknown actor deleted: marker recorded")
    actor.deleted_at = ctx.now
    actor.updated_at = ctx.now
    await ctx.session.execute(
        delete(Follow).where(or_(Follow.follower_id == actor.id, Follow.followed_id == actor.id)),
        execution_options={"synchronize_session": False},
    )
    await ctx.session.flush()
    await forget_participant(ctx.session, actor)
    return processed("actor deleted, its follows and event participations removed")


async def _delete_object(ctx: InboxContext, incoming: Incoming, object_id: str) -> Outcome:
    stored = await stored_object(ctx, object_id)
    if stored is None:
        await mark_deleted(ctx, object_id, incoming.actor_uri)
        return processed("object deleted: marker recorded")
    owner = await ctx.session.get(Actor, stored.actor_id)
    if stored.local or owner is None or owner.uri != incoming.actor_uri:
        return ignored("only the stored owner may delete an object")
    await mark_deleted(ctx, object_id, incoming.actor_uri)
    if stored.deleted_at is not None:
        return ignored("the object was deleted already")
    projects = await relaying_projects(ctx.session, ctx.uris, stored, owner)
    stored.deleted_at = ctx.now
    purge(stored)
    await ctx.session.flush()
    await refresh_call_feeds(ctx.session, ctx.uris, stored, ctx.now)  # feeds drop a call
    await count_reply(ctx.session, stored.in_reply_to_uri, -1)
    for project in projects:
        await relay_change(ctx.session, ctx.uris, project, incoming.body, ctx.now)  # FEP-1b12
    return processed(f"{stored.ap_type} deleted by its owner")


async def on_delete(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A remote actor deletes itself or one of its own objects."""
    object_id = incoming.object_id
    if object_id is None:
        return ignored("the Delete names no object id")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Delete id is not on its actor's origin")
    if ctx.uris.is_local(object_id):
        return ignored("a remote actor may not delete our objects")
    if object_id == incoming.actor_uri:
        return await _delete_actor(ctx, object_id)
    if not same_origin(object_id, incoming.actor_uri):
        return ignored("the deleted object is not on its actor's origin")
    return await _delete_object(ctx, incoming, object_id)
