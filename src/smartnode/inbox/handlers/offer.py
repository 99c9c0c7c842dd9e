"""Applications to open calls: Offer{Agreement} to a project, the project's answers
(TentativeAccept / Accept{result Agreement} / Reject), and fediverse replies that apply."""

from __future__ import annotations

from smartnode.inbox.context import InboxContext, Incoming, Outcome, ignored
from smartnode.storage.models import Actor, ContentObject


async def on_offer(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """An application to one of our projects' calls."""
    return ignored("Offer is not handled yet")


async def on_tentative_accept(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A project shortlisted one of our members' applications."""
    return ignored("TentativeAccept is not handled yet")


async def answer(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Accept or Reject of an application; None when it answers no application."""
    return None


async def reply_to_call(ctx: InboxContext, reply: ContentObject, author: Actor) -> str | None:
    """A stored direct reply to one of our calls becomes an application; what was done."""
    return None
