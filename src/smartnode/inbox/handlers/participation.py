"""Join and Leave of our events, and the answers to our members' Joins of remote events.

Rules: a Join counts only for its own actor and its id must be on that actor's origin; it is
decided by the event's join mode and capacity (content/participation.py); a refused Join is
answered with Reject and leaves no row. A Leave removes only its actor's participation. An
Accept/Reject of our member's Join counts only from the event's author or an actor on the
event's origin (Mobilizon answers as the organizer, who may differ from `attributedTo`).
Join and Leave naming no event of ours go on to the project-team handlers.
"""

from __future__ import annotations

from sqlalchemy import select

from smartnode.content.notices import notify
from smartnode.content.participation import (
    ACCEPTED,
    ANSWERED,
    PENDING,
    REJECTED,
    join_local_event,
    leave_event,
    refuse_join,
)
from smartnode.content.terms import EVENT
from smartnode.errors import Conflict, Forbidden, NotFound
from smartnode.federation.vocab import id_of
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    processed,
    same_origin,
)
from smartnode.inbox.handlers import team
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import EventParticipant


async def _our_event(ctx: InboxContext, uri: str | None) -> ContentObject | None:
    if not uri or not ctx.uris.is_local(uri):
        return None
    return await ctx.session.scalar(
        select(ContentObject).where(
            ContentObject.uri == uri, ContentObject.local.is_(True), ContentObject.kind == EVENT
        )
    )


async def _remote_sender(ctx: InboxContext, incoming: Incoming) -> Actor | None:
    actor = await ctx.resolver.actor(incoming.actor_uri)
    return None if actor is None or actor.local or actor.deleted_at else actor


async def on_join(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Someone asks to take part in one of our events (else: a Join of a project's team)."""
    event = await _our_event(ctx, incoming.object_id)
    if event is None:
        return await team.on_join(ctx, incoming)
    if event.deleted_at is not None:
        return ignored("the Join names a deleted event")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Join id is not on its actor's origin")
    taken = await ctx.session.scalar(
        select(EventParticipant.id).where(EventParticipant.uri == incoming.id)
    )
    if taken is not None:
        return ignored("this Join was recorded already")
    person = await _remote_sender(ctx, incoming)
    if person is None:
        return ignored("the joining actor could not be resolved")
    message = incoming.body.get("participationMessage")
    try:
        row = await join_local_event(
            ctx.session, ctx.uris, event, person, join_uri=incoming.id, message=message,
            now=ctx.now,
        )  # fmt: skip
    except NotFound:
        return ignored("the event is not visible to the joining actor")
    except (Conflict, Forbidden) as error:
        if "already" in error.message:
            return ignored(error.message)
        await refuse_join(ctx.session, ctx.uris, event, incoming.id, person, ctx.now,
                          error.message)  # fmt: skip
        return processed(f"Join refused: {error.message}")
    if row.state == ACCEPTED:
        return processed("participant accepted, Accept sent")
    return processed("participation request kept for the organizer")


async def on_leave(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Someone stops taking part in one of our events (else: leaves a project's team)."""
    event = await _our_event(ctx, incoming.object_id)
    if event is None:
        return await team.on_leave(ctx, incoming)
    person = await _remote_sender(ctx, incoming)
    if person is None:
        return ignored("the leaving actor could not be resolved")
    if not await leave_event(ctx.session, ctx.uris, event, person, ctx.now):
        return ignored("the leaving actor was not taking part")
    return processed("participation ended")


async def answer(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Accept or Reject of our member's Join of a remote event; None when it answers none."""
    uri = id_of(incoming.object)
    if uri is None:
        return None
    row = await ctx.session.scalar(
        select(EventParticipant).where(
            EventParticipant.uri == uri, EventParticipant.local.is_(False)
        )
    )
    if row is None:
        return None
    event = await ctx.session.get(ContentObject, row.event_id)
    member = await ctx.session.get(Actor, row.actor_id)
    if event is None or member is None:
        return ignored("the event or our member no longer exists")
    author = await ctx.session.get(Actor, event.actor_id)
    from_author = author is not None and author.uri == incoming.actor_uri
    if not from_author and not same_origin(incoming.actor_uri, event.uri):
        return ignored("only the event's organizer may answer a Join of it")
    state = ACCEPTED if incoming.type == "Accept" else REJECTED
    if row.state == state:
        return ignored(f"the Join was {state} already")
    if row.state not in (PENDING, ACCEPTED):
        return ignored(f"the Join was {row.state} already")
    row.state, row.answered_at = state, ctx.now
    data = {"event": event.uri, "state": state, "name": event.name or ""}
    await notify(ctx.session, member.id, ANSWERED, row.uri, data, ctx.now)
    await ctx.session.flush()
    return processed(f"our member's participation {state} by the organizer")
