"""Taking part in events as the native API, the CLI and the apps use it: each use case takes
the acting principal and decides. Services never commit.

A member (`write:events`) joins an event of this node or another node this node knows, and
leaves it; they list their own participations (`read`). The organizer (the author, or a
coordinator of the authoring project) lists and answers requests. An event a member may not
see does not exist for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ, WRITE_EVENTS, acting_member
from smartnode.content.events import local_event
from smartnode.content.participation import (
    decide,
    join_local_event,
    join_remote_event,
    leave_event,
    may_organize,
    may_see,
    participation,
)
from smartnode.content.terms import EVENT
from smartnode.errors import Forbidden, Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import EventParticipant

#: A member's own participations listed at most.
OWN_LIMIT = 500
Taking = tuple[EventParticipant, ContentObject]


async def _event(session: AsyncSession, member: Actor, uri: str) -> ContentObject:
    """An event this node knows and `member` may see (NotFound, Gone)."""
    event = await session.scalar(
        select(ContentObject).where(ContentObject.uri == uri, ContentObject.kind == EVENT)
    )
    if event is None or not await may_see(session, event, member):
        raise NotFound("no such event known on this node")
    if event.deleted_at is not None:
        raise Gone("the event was deleted")
    return event


async def take_part(
    session: AsyncSession, uris: NodeUris, principal: Principal, event_uri: str,
    message: str, now: datetime,
) -> Taking:  # fmt: skip
    """The acting member takes part in an event of this node (decided at once) or of another
    node (a Join, pending until its organizer answers)."""
    member = await acting_member(session, principal, WRITE_EVENTS)
    event = await _event(session, member, event_uri)
    if event.local:
        row = await join_local_event(session, uris, event, member, join_uri=None,
                                     message=message, now=now)  # fmt: skip
    else:
        row = await join_remote_event(session, uris, event, member, message=message, now=now)
    return row, event


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the acting member stands with one of our events (which they may see): their
    participation's state (None when they take no part) and whether they organize it."""

    event: ContentObject
    state: str | None
    organizes: bool


async def standing(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str
) -> Standing:
    """The acting member's participation in one of our events, and whether they organize it."""
    member = await acting_member(session, principal, READ)
    event = await local_event(session, uris, token)
    if not await may_see(session, event, member):
        raise NotFound("no such event on this node")
    row = await participation(session, event, member)
    return Standing(event, row.state if row else None, await may_organize(session, member, event))


async def my_participations(session: AsyncSession, principal: Principal) -> Sequence[Taking]:
    """The events the acting member takes part in or asked to, soonest first."""
    member = await acting_member(session, principal, READ)
    rows = await session.execute(
        select(EventParticipant, ContentObject)
        .join(ContentObject, ContentObject.id == EventParticipant.event_id)
        .where(EventParticipant.actor_id == member.id, ContentObject.deleted_at.is_(None))
        .order_by(ContentObject.starts_at, EventParticipant.id)
        .limit(OWN_LIMIT)
    )
    return [(row, event) for row, event in rows.all()]


async def stop_taking_part(
    session: AsyncSession, uris: NodeUris, principal: Principal, event_uri: str, now: datetime
) -> None:
    """The acting member leaves an event (or withdraws a pending request)."""
    member = await acting_member(session, principal, WRITE_EVENTS)
    event = await _event(session, member, event_uri)
    if not await leave_event(session, uris, event, member, now):
        raise NotFound("you are not taking part in this event")


async def _organized(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, scope: str
) -> ContentObject:
    """One of our events that the acting member organizes (NotFound for others' hidden
    events, Forbidden for the rest)."""
    member = await acting_member(session, principal, scope)
    event = await local_event(session, uris, token)
    if not await may_organize(session, member, event):
        if not await may_see(session, event, member):
            raise NotFound("no such event on this node")
        raise Forbidden("only the event's organizer may do this")
    return event


async def participants(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str,
    state: str | None, *, limit: int, after_id: int | None,
) -> Sequence[tuple[EventParticipant, Actor]]:  # fmt: skip
    """Requests and participants of one of the organizer's events, oldest first."""
    event = await _organized(session, uris, principal, token, READ)
    query = (
        select(EventParticipant, Actor)
        .join(Actor, Actor.id == EventParticipant.actor_id)
        .where(EventParticipant.event_id == event.id)
    )
    if state is not None:
        query = query.where(EventParticipant.state == state)
    if after_id is not None:
        query = query.where(EventParticipant.id > after_id)
    found = await session.execute(query.order_by(EventParticipant.id).limit(limit))
    return [(row, actor) for row, actor in found.all()]


async def answer_participant(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str,
    participant_id: int, accept: bool, now: datetime,
) -> tuple[EventParticipant, Actor]:  # fmt: skip
    """The organizer accepts or rejects a pending participation request."""
    event = await _organized(session, uris, principal, token, WRITE_EVENTS)
    row = await session.get(EventParticipant, participant_id)
    if row is None or row.event_id != event.id:
        raise NotFound("no such participation in this event")
    await decide(session, uris, row, accept, now)
    actor = await session.get(Actor, row.actor_id)
    if actor is None:
        raise NotFound("the participant no longer exists")
    return row, actor
