"""Update of an actor by itself, or of a stored remote note by its owner.

An actor is refetched from its origin (never trusting the embedded copy) and stored through
store_remote_actor, which refuses a silent key swap. A note may be changed only by the actor
we stored as its owner (not whoever `attributedTo` names now), on its origin; its content
changes, its visibility, audience and thread never do. An Update older than what we store is
ignored.
"""

from __future__ import annotations

from smartnode.actors.remote import ACTOR_TYPES
from smartnode.content.notes_from_ap import BadNote, note_from_ap
from smartnode.content.relay import relay_change, relaying_projects
from smartnode.content.remote import apply_note, fetch_object, stored_object
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    processed,
    same_origin,
)
from smartnode.matching.feeds import refresh_call_feeds
from smartnode.storage.models import Actor


async def on_update(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Refresh the sending actor's profile, or apply an edit of one of its notes."""
    object_id = incoming.object_id
    if object_id is None:
        return ignored("the Update names no object id")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Update id is not on its actor's origin")
    if object_id != incoming.actor_uri:
        obj = incoming.object
        if isinstance(obj, dict) and obj.get("type") in ACTOR_TYPES:
            return ignored("an actor may only update itself")
        return await update_note(ctx, incoming, object_id)
    actor = await ctx.resolver.actor(incoming.actor_uri, refresh=True)
    if actor is None:
        return ignored("the actor could not be refetched from its origin")
    return processed("actor refreshed from its origin")


async def update_note(ctx: InboxContext, incoming: Incoming, object_id: str) -> Outcome:
    """Edit a stored remote note, by its stored owner only."""
    if not same_origin(object_id, incoming.actor_uri):
        return ignored("the updated object is not on its actor's origin")
    stored = await stored_object(ctx, object_id)
    if stored is None or stored.local:
        return ignored("Update of an object we do not store")
    owner = await ctx.session.get(Actor, stored.actor_id)
    if owner is None or owner.uri != incoming.actor_uri:
        return ignored("only the stored owner may update an object")
    if stored.deleted_at is not None:
        return ignored("the object was deleted")
    obj = incoming.object
    document = obj if isinstance(obj, dict) else await fetch_object(ctx, object_id)
    if document is None:
        return ignored("the object could not be fetched from its origin")
    try:
        note = note_from_ap(document, ctx.now)
    except BadNote as error:
        return ignored(error.message)
    if note.uri != object_id or note.attributed_to != owner.uri:
        return ignored("the new version is not the same object by the same owner")
    if note.updated_at is not None and note.updated_at <= stored.updated_at:
        return ignored("the Update is not newer than what we store")
    apply_note(stored, note)
    stored.updated_at = note.updated_at or ctx.now
    await ctx.session.flush()
    await refresh_call_feeds(ctx.session, ctx.uris, stored, ctx.now)  # feeds follow a call
    for project in await relaying_projects(ctx.session, ctx.uris, stored, owner):
        await relay_change(ctx.session, ctx.uris, project, incoming.body, ctx.now)  # FEP-1b12
    return processed(f"{stored.ap_type} updated by its owner")
