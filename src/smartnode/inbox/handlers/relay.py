"""FEP-1b12: a Group announces activities of its members (Announce of a Create, Update,
Delete...)."""

from __future__ import annotations

from smartnode.inbox.context import InboxContext, Incoming, Outcome


async def on_group_announce(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Announce of an activity; None when the Announce is of an object."""
    return None
