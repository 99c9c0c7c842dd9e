"""Reject of a Follow we sent: the follow is removed, pending or already accepted.

Interop: Mastodon sends Reject(Follow) both to refuse a request and to remove a follower.
The same matching as Accept applies: our Follow's id, answered by the actor it went to.
"""

from __future__ import annotations

from smartnode.actors.peering import our_follow_refused
from smartnode.inbox.context import InboxContext, Incoming, Outcome, ignored, processed
from smartnode.inbox.handlers.accept import answered_follow, answered_other


async def on_reject(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """The followed actor refused our Follow or removed us as a follower (or an application,
    a Join or an Invite was refused)."""
    other = await answered_other(ctx, incoming)
    if other is not None:
        return other
    follow = await answered_follow(ctx, incoming)
    if isinstance(follow, str):
        return ignored(follow)
    await our_follow_refused(ctx.session, follow, ctx.now)  # a peer's node actor: refused
    await ctx.session.delete(follow)
    await ctx.session.flush()
    return processed("follow rejected by the followed actor")
