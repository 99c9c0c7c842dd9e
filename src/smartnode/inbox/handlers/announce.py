"""Announce (boost) of a post: a Reaction on the post, stored first when it is remote.

An Announce of one of our posts, or of a remote post we store, counts once per actor and only
for public or unlisted posts. A remote post not yet stored is taken only when one of our
actors follows the announcer: embedded on the announcer's own origin it is trusted (that
origin signed it), otherwise it is refetched by id from its origin and nothing is stored if
that fails (a forged embedded copy never lands). Announces of activities (FEP-1b12 group
relays) are not handled yet.
"""

from __future__ import annotations

from typing import Any

from smartnode.content.audience import OPEN, visibility_of
from smartnode.content.inputs import Visibility
from smartnode.content.notes_from_ap import BadNote, note_from_ap, note_type
from smartnode.content.reactions import ANNOUNCE, add_reaction
from smartnode.content.remote import (
    deleted_before,
    fetch_object,
    followed_here,
    store_note,
    stored_object,
)
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    processed,
    same_origin,
)
from smartnode.inbox.handlers.relay import on_group_announce
from smartnode.storage.models import ContentObject

ACTIVITY_TYPES = frozenset({"Create", "Update", "Delete", "Like", "Announce", "Undo", "Add"})


async def _remote_post(
    ctx: InboxContext, incoming: Incoming, object_id: str
) -> ContentObject | str:
    """The announced remote post, fetched (or trusted) and stored; or why not."""
    if not await followed_here(ctx, incoming.actor_uri):
        return "the Announce concerns no one on this node"
    obj: Any = incoming.object
    trusted = isinstance(obj, dict) and same_origin(object_id, incoming.actor_uri)
    document = obj if trusted else await fetch_object(ctx, object_id)
    if document is None:
        return "the announced object could not be fetched from its origin"
    try:
        note = note_from_ap(document, ctx.now)
    except BadNote as error:
        return error.message
    if note.uri != object_id or not same_origin(note.uri, note.attributed_to):
        return "the announced object is not on its author's origin"
    if visibility_of(note.to, note.cc, None) not in OPEN:
        return "only public posts may be boosted"
    if await deleted_before(ctx, note.uri, note.attributed_to):
        return "the announced object was deleted"
    author = await ctx.resolver.actor(note.attributed_to)
    if author is None or author.local:
        return "the author of the announced object could not be resolved"
    return await store_note(ctx, note, author)


async def on_announce(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Count a boost; store the boosted remote post first when we follow the booster."""
    obj, object_id = incoming.object, incoming.object_id
    if object_id is None:
        return ignored("the Announce names no object id")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Announce id is not on its actor's origin")
    relayed = await on_group_announce(ctx, incoming)
    if relayed is not None:
        return relayed
    if isinstance(obj, dict) and obj.get("type") in ACTIVITY_TYPES:
        return ignored(f"Announce of a {obj.get('type')} activity is not handled yet")
    if isinstance(obj, dict) and note_type(obj) is None:
        return ignored(f"Announce of {obj.get('type')!s} is not handled yet")
    post = await stored_object(ctx, object_id)
    if post is None and ctx.uris.is_local(object_id):
        return ignored("the Announce names none of our live posts")
    if post is None:
        found = await _remote_post(ctx, incoming, object_id)
        if isinstance(found, str):
            return ignored(found)
        post = found
    if post.deleted_at is not None or Visibility(post.visibility) not in OPEN:
        return ignored("only live public posts may be boosted")
    booster = await ctx.resolver.actor(incoming.actor_uri)
    if booster is None or booster.local:
        return ignored("the announcing actor could not be resolved")
    added = await add_reaction(
        ctx.session, uri=incoming.id, obj=post, actor=booster, kind=ANNOUNCE, now=ctx.now
    )
    return processed("boost counted") if added else ignored("this actor boosted the post already")
