"""Like of one of our posts: a Reaction, counted once per actor.

Only posts of ours count (remote Likes of remote posts are not our business). A post that is
not public may be liked only by an actor it is addressed to; to anyone else it does not exist.
"""

from __future__ import annotations

from smartnode.content.access import in_audience
from smartnode.content.audience import OPEN, recipients
from smartnode.content.inputs import Visibility
from smartnode.content.reactions import LIKE, add_reaction
from smartnode.content.remote import stored_object
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    processed,
    same_origin,
)
from smartnode.storage.models import Actor


async def on_like(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Count a remote actor's Like of one of our live posts."""
    object_id = incoming.object_id
    if object_id is None:
        return ignored("the Like names no object id")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Like id is not on its actor's origin")
    ours = ctx.uris.note_token(object_id) or ctx.uris.call_token(object_id)
    ours = ours or ctx.uris.event_token(object_id)  # Mastodon users favourite calls and events
    target = await stored_object(ctx, object_id) if ours else None
    if target is None or not target.local or target.deleted_at is not None:
        return ignored("the Like names none of our live posts")
    author = await ctx.session.get(Actor, target.actor_id)
    if author is None:
        return ignored("the liked post has no author")
    if Visibility(target.visibility) not in OPEN and not await in_audience(
        ctx.session, recipients(target.audience), author, incoming.actor_uri
    ):
        return ignored("the Like names none of our live posts")
    liker = await ctx.resolver.actor(incoming.actor_uri)
    if liker is None or liker.local:
        return ignored("the liking actor could not be resolved")
    added = await add_reaction(
        ctx.session, uri=incoming.id, obj=target, actor=liker, kind=LIKE, now=ctx.now
    )
    return processed("like counted") if added else ignored("this actor liked the post already")
