"""Project teams across nodes: Join, Invite, Leave, and Add/Remove on a members collection."""

from __future__ import annotations

from smartnode.inbox.context import InboxContext, Incoming, Outcome, ignored


async def on_join(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Someone asks to join one of our projects."""
    return ignored("Join is not handled yet")


async def on_invite(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A project invites one of our members."""
    return ignored("Invite is not handled yet")


async def on_leave(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Someone leaves one of our projects."""
    return ignored("Leave is not handled yet")


async def on_add(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A project adds someone to its members collection (or pins to its featured one)."""
    return ignored("Add is not handled yet")


async def on_remove(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A project removes someone from its members collection."""
    return ignored("Remove is not handled yet")


async def answer(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Accept or Reject of a Join or Invite; None when it answers none."""
    return None
