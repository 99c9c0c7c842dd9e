"""Taking part in events, across nodes (Mobilizon's model): Join{Event}, Accept/Reject{Join},
Leave{Event}.

For our events the join mode decides: `free` accepts at once while places remain (then
refuses: the event is full), `restricted` keeps a pending request for the organizer (the
author, or the coordinators of the authoring project), `invite` and `external` take no
requests. The count of accepted participants is kept in `extra["event"]["participants"]`, so
the Event document carries `participantCount` and `remainingAttendeeCapacity` as Mobilizon's
does. For a remote event we send our member's Join to its author and keep it pending until the
organizer answers. Services never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import coordinators
from smartnode.content.access import in_audience, may_change
from smartnode.content.audience import OPEN
from smartnode.content.compose import plain_text
from smartnode.content.events_to_ap import EVENT_CONTEXT
from smartnode.content.notices import notify
from smartnode.content.terms import EVENT
from smartnode.errors import Conflict, Forbidden, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token, publish
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import EventParticipant

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
#: Notification kinds: a request awaits the organizer; the participant's request was answered.
JOIN_REQUEST, ANSWERED = "event_join", "event_participation"
#: A participation message is plain text, at most this long.
MESSAGE_LIMIT = 1000
OPEN_VALUES = frozenset(v.value for v in OPEN)


def facts(event: ContentObject) -> dict[str, Any]:
    """The event's facts as stored (`extra["event"]`)."""
    found = event.extra.get("event") if isinstance(event.extra, dict) else None
    return found if isinstance(found, dict) else {}


def clean_message(value: Any) -> str:
    """A participation message as plain text, capped (hostile input: never raises)."""
    if not isinstance(value, str):
        return ""
    return plain_text(value[: MESSAGE_LIMIT * 4]).strip()[:MESSAGE_LIMIT]


def join_document(uri: str, person_uri: str, event_uri: str) -> dict[str, str]:
    """The Join a participation answers to, as Mobilizon writes it."""
    return {"id": uri, "type": "Join", "actor": person_uri, "object": event_uri}


async def participation(
    session: AsyncSession, event: ContentObject, person: Actor
) -> EventParticipant | None:
    """`person`'s participation in `event`, if any."""
    return await session.scalar(
        select(EventParticipant).where(
            EventParticipant.event_id == event.id, EventParticipant.actor_id == person.id
        )
    )


async def accepted_count(session: AsyncSession, event: ContentObject) -> int:
    """How many take part in `event` (accepted participants)."""
    found = await session.scalar(
        select(func.count())
        .select_from(EventParticipant)
        .where(EventParticipant.event_id == event.id, EventParticipant.state == ACCEPTED)
    )
    return int(found or 0)


async def recount(session: AsyncSession, event: ContentObject) -> int:
    """Store the number of accepted participants on the event (served as participantCount)."""
    await session.flush()
    count = await accepted_count(session, event)
    event.extra = {**event.extra, "event": {**facts(event), "participants": count}}
    await session.flush()
    return count


def remaining(event: ContentObject, count: int) -> int | None:
    """Places left, or None when the event has no capacity."""
    capacity = facts(event).get("capacity")
    return max(0, int(capacity) - count) if isinstance(capacity, int) and capacity > 0 else None


async def may_see(session: AsyncSession, event: ContentObject, person: Actor) -> bool:
    """True when `person` may know of `event` (open, or addressed to them or their follow)."""
    if event.visibility in OPEN_VALUES:
        return True
    author = await session.get(Actor, event.actor_id)
    recipients = [*event.audience.get("to", []), *event.audience.get("cc", [])]
    return author is not None and await in_audience(session, recipients, author, person.uri)


def _refusal(event: ContentObject, now: datetime) -> str | None:
    """Why nobody may join `event` now, or None."""
    if event.deleted_at is not None:
        return "the event was deleted"
    ends = event.ends_at or event.starts_at
    if ends is not None and ends < now:
        return "the event is over"
    mode = facts(event).get("join_mode") or "free"
    if mode == "invite":
        return "the event is by invitation only"
    if mode == "external":
        return "registration for this event is on its own website"
    return None


async def organizers(session: AsyncSession, event: ContentObject) -> list[Actor]:
    """Local accounts that decide on participation: the author, or the project's coordinators."""
    author = await session.get(Actor, event.actor_id)
    if author is None:
        return []
    if author.kind == "project":
        return [actor for actor in await coordinators(session, author) if actor.local]
    return [author] if author.local else []


async def _tell_organizers(
    session: AsyncSession, event: ContentObject, row: EventParticipant, person: Actor
) -> None:
    data = {"event": event.uri, "actor": person.uri, "name": event.name or ""}
    for actor in await organizers(session, event):
        await notify(session, actor.id, JOIN_REQUEST, row.uri, data, row.created_at)


async def _answer_remote(
    session: AsyncSession, uris: NodeUris, event: ContentObject, row: EventParticipant,
    person: Actor, now: datetime,
) -> None:  # fmt: skip
    """The event's author tells a remote participant the state of their Join."""
    author = await session.get(Actor, event.actor_id)
    if author is None or person.local:
        return
    kind = "Accept" if row.state == ACCEPTED else "Reject"
    join = join_document(row.uri, person.uri, event.uri)
    await publish(session, uris, author, kind, obj=join, to=[person.uri], now=now)


async def refuse_join(
    session: AsyncSession, uris: NodeUris, event: ContentObject, join_uri: str, person: Actor,
    now: datetime, reason: str,
) -> None:  # fmt: skip
    """Reject a remote Join we keep no row for (the event is full, or takes no requests)."""
    author = await session.get(Actor, event.actor_id)
    if author is None:
        return
    join = join_document(join_uri, person.uri, event.uri)
    await publish(session, uris, author, "Reject", obj=join, to=[person.uri], now=now,
                  extra={"content": reason})  # fmt: skip


async def join_local_event(
    session: AsyncSession,
    uris: NodeUris,
    event: ContentObject,
    person: Actor,
    *,
    join_uri: str | None,
    message: Any,
    now: datetime,
) -> EventParticipant:
    """`person` (of any node) asks to take part in one of our events.

    Accepted at once for a free event with places left; pending for a restricted one (the
    organizers are told); Conflict when full or already taking part, Forbidden when the event
    takes no requests. A remote person is sent Accept when accepted at once.
    """
    if not event.local or event.kind != EVENT:
        raise NotFound("no such event on this node")
    if not await may_see(session, event, person):
        raise NotFound("no such event on this node")
    reason = _refusal(event, now)
    if reason is not None:
        raise Forbidden(reason)
    found = await participation(session, event, person)
    if found is not None and found.state != REJECTED:
        raise Conflict(f"{person.uri} is {found.state} for this event already")
    free = (facts(event).get("join_mode") or "free") == "free"
    if free and remaining(event, await accepted_count(session, event)) == 0:
        raise Conflict("the event is full")
    if found is not None:
        await session.delete(found)
        await session.flush()
    row = EventParticipant(
        uri=join_uri or uris.activity(new_token(now)), event_id=event.id, actor_id=person.id,
        local=True, state=ACCEPTED if free else PENDING, message=clean_message(message),
        created_at=now, answered_at=now if free else None,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    if free:
        await recount(session, event)
        await _answer_remote(session, uris, event, row, person, now)
    else:
        await _tell_organizers(session, event, row, person)
    return row


async def decide(
    session: AsyncSession, uris: NodeUris, row: EventParticipant, accept: bool, now: datetime
) -> EventParticipant:
    """An organizer answers a pending request; the participant is told (Accept/Reject or a
    notification). Accepting past capacity is a Conflict."""
    event = await session.get(ContentObject, row.event_id)
    person = await session.get(Actor, row.actor_id)
    if event is None or person is None or event.deleted_at is not None:
        raise NotFound("the event or the participant no longer exists")
    if row.state != PENDING:
        raise Conflict(f"this participation is {row.state}, not pending")
    if accept and remaining(event, await accepted_count(session, event)) == 0:
        raise Conflict("the event is full")
    row.state, row.answered_at = (ACCEPTED if accept else REJECTED), now
    await recount(session, event)
    if person.local:
        data = {"event": event.uri, "state": row.state, "name": event.name or ""}
        await notify(session, person.id, ANSWERED, row.uri, data, now)
    else:
        await _answer_remote(session, uris, event, row, person, now)
    return row


async def join_remote_event(
    session: AsyncSession,
    uris: NodeUris,
    event: ContentObject,
    member: Actor,
    *,
    message: str,
    now: datetime,
) -> EventParticipant:
    """Our member asks to take part in another node's event: Join sent to its author, pending
    until the organizer answers. Forbidden when the event takes no requests or is over."""
    reason = _refusal(event, now)
    if reason is not None:
        raise Forbidden(reason)
    found = await participation(session, event, member)
    if found is not None and found.state != REJECTED:
        raise Conflict(f"you are {found.state} for this event already")
    author = await session.get(Actor, event.actor_id)
    if author is None or author.deleted_at is not None:
        raise NotFound("the event's author is not known here")
    text = clean_message(message)
    # Interop: `participationMessage` is no AS2 term; without Mobilizon's context a JSON-LD
    # reader (Fedify) drops it on expansion.
    extra: dict[str, Any] = {"@context": EVENT_CONTEXT}
    if text:
        extra["participationMessage"] = text
    sent = await publish(session, uris, member, "Join", obj=event.uri, to=[author.uri],
                         now=now, extra=extra)  # fmt: skip
    if found is not None:
        await session.delete(found)
        await session.flush()
    row = EventParticipant(
        uri=sent.uri, event_id=event.id, actor_id=member.id, local=False, state=PENDING,
        message=text, created_at=now, answered_at=None,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def leave_event(
    session: AsyncSession, uris: NodeUris, event: ContentObject, person: Actor, now: datetime
) -> bool:
    """`person` stops taking part (or withdraws a request). Our member leaving a remote event
    sends Leave to its author. False when there was nothing to leave."""
    row = await participation(session, event, person)
    if row is None:
        return False
    await session.execute(delete(EventParticipant).where(EventParticipant.id == row.id))
    if event.local:
        await recount(session, event)
    elif person.local:
        author = await session.get(Actor, event.actor_id)
        if author is not None:
            await publish(session, uris, person, "Leave", obj=event.uri, to=[author.uri],
                          now=now)  # fmt: skip
    await session.flush()
    return True


async def may_organize(session: AsyncSession, member: Actor, event: ContentObject) -> bool:
    """The event's author, or a coordinator of the authoring project."""
    return await may_change(session, member, event)


async def forget_participant(session: AsyncSession, person: Actor) -> int:
    """A deleted actor takes part in nothing any more: their participations go and the counts
    of our events they were in are kept true; how many were removed."""
    query = select(EventParticipant).where(EventParticipant.actor_id == person.id)
    rows = (await session.scalars(query)).all()
    for row in rows:
        await session.delete(row)
    await session.flush()
    for event_id in {row.event_id for row in rows if row.local}:
        event = await session.get(ContentObject, event_id)
        if event is not None:
            await recount(session, event)
    return len(rows)
