"""Accept of a Follow we sent: the follow becomes accepted, and only then.

Rule (Pixelfed CVE-2025-30741): an Accept counts only when its object's id is the id of a
Follow one of our actors sent, and the Accept's actor is the actor that Follow went to.
Nothing in an embedded copy of the Follow is trusted beyond its id.
"""

from __future__ import annotations

from smartnode.actors.peering import our_follow_accepted
from smartnode.federation.vocab import id_of
from smartnode.inbox.context import (
    ACCEPTED,
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    processed,
    sent_follow,
)
from smartnode.inbox.handlers import offer, participation, team
from smartnode.storage.models import Follow


async def answered_follow(ctx: InboxContext, incoming: Incoming) -> Follow | str:
    """The Follow we sent that this Accept/Reject answers, or why there is none."""
    obj = incoming.object
    if isinstance(obj, dict) and obj.get("type", "Follow") != "Follow":
        return f"{incoming.type} of {obj.get('type')!s} is not handled yet"
    follow_uri = id_of(obj)
    if follow_uri is None:
        return f"the {incoming.type} names no object id"
    follow = await sent_follow(ctx, follow_uri, incoming.actor_uri)
    if follow is None:
        return f"the {incoming.type} answers no Follow we sent to its actor"
    return follow


async def answered_other(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Accept/Reject of an application, a Join (of a team or an event) or an Invite;
    None when it is none of those."""
    for answer in (offer.answer, team.answer, participation.answer):
        outcome = await answer(ctx, incoming)
        if outcome is not None:
            return outcome
    return None


async def on_accept(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """The followed actor accepted our Follow (or an application, Join or Invite was accepted)."""
    other = await answered_other(ctx, incoming)
    if other is not None:
        return other
    follow = await answered_follow(ctx, incoming)
    if isinstance(follow, str):
        return ignored(follow)
    if follow.state == ACCEPTED:
        return ignored("the follow was already accepted")
    follow.state = ACCEPTED
    await ctx.session.flush()
    await our_follow_accepted(ctx.session, follow, ctx.now)  # a peer's node actor: back-fill
    return processed("follow accepted by the followed actor")
