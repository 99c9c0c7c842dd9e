"""Create of a Note, Article or Page by a remote actor: stored when it concerns this node.

Rules (PROTOCOL.md "Origin and authority"): the activity id, the actor and the object id are
on one origin (an object on another origin is ignored without a fetch, as Mastodon does);
the object is attributed to the actor; an object given only by id is fetched from its origin
and nothing is stored if that fails; an id we already store is never changed by a Create (no
audience widening, Mastodon CVE-2024-37903); a Delete that came first wins.
"""

from __future__ import annotations

from smartnode.content.notes_from_ap import BadNote, note_from_ap, note_type
from smartnode.content.remote import (
    concerns_node,
    deleted_before,
    fetch_object,
    store_note,
    stored_object,
)
from smartnode.content.social_notices import notify_post
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    processed,
    same_origin,
)
from smartnode.inbox.handlers.offer import reply_to_call
from smartnode.inbox.handlers.relay import relay_members_post


async def on_create(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Store a remote actor's new note when it concerns this node."""
    obj, object_id = incoming.object, incoming.object_id
    if object_id is None:
        return ignored("the Create names no object id")
    if isinstance(obj, dict) and note_type(obj) is None:
        return ignored(f"Create of {obj.get('type')!s} is not handled yet")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Create id is not on its actor's origin")
    if not same_origin(object_id, incoming.actor_uri):
        return ignored("the created object is not on its actor's origin")
    if await deleted_before(ctx, object_id, incoming.actor_uri):
        return ignored("the object was deleted before its Create arrived")
    if await stored_object(ctx, object_id) is not None:
        return ignored("the object is stored already: a Create never changes it")
    document = obj if isinstance(obj, dict) else await fetch_object(ctx, object_id)
    if document is None:
        return ignored("the object could not be fetched from its origin")
    try:
        note = note_from_ap(document, ctx.now)
    except BadNote as error:
        return ignored(error.message)
    if note.uri != object_id:
        return ignored("the fetched object has another id")
    if note.attributed_to != incoming.actor_uri:
        return ignored("the object is not attributed to the Create's actor")
    if not await concerns_node(ctx, incoming, note):
        return ignored("the object concerns no one on this node")
    author = await ctx.resolver.actor(incoming.actor_uri)
    if author is None or author.local:
        return ignored("the author could not be resolved")
    stored = await store_note(ctx, note, author)
    await relay_members_post(ctx, incoming, note, author)
    applied = await reply_to_call(ctx, stored, author)
    if not applied:  # an application to a call is told as one
        await notify_post(ctx.session, stored, author, ctx.now)
    return processed(applied or f"{note.ap_type} stored")
