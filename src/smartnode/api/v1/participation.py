"""Taking part in events (member tokens): /participations for a member's own, and
/events/{id}/participants for the organizer of one of our events.

A member joins an event of this node (decided at once by its join mode and capacity) or of
another node this node knows (Join sent to its organizer, pending until answered), and leaves
it. The organizer (the author, or any coordinator of the authoring project) lists requests and
participants and answers pending ones; remote participants are sent Accept or Reject.
Participant lists are never public: an event shows only how many take part.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MemberDep
from smartnode.api.v1.participation_schemas import (
    ParticipantOut,
    ParticipantPage,
    ParticipationIn,
    ParticipationList,
    ParticipationOut,
    State,
    participant_out,
    participation_errors,
    participation_out,
)
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.content.events import local_event
from smartnode.content.participation import (
    decide,
    join_local_event,
    join_remote_event,
    leave_event,
    may_organize,
    may_see,
)
from smartnode.content.terms import EVENT
from smartnode.errors import Forbidden, Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import EventParticipant

router = APIRouter(tags=["events"], route_class=ChallengeRoute)

Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The event's `id`.")]
ParticipantId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Decision = Annotated[Literal["accept", "reject"], Path(description="`accept` or `reject`.")]
EventUri = Annotated[str, Query(min_length=1, max_length=2048, description="The Event's id.")]
#: A member's own participations listed at most.
OWN_LIMIT = 500


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


async def _organized(
    session: AsyncSession, uris: NodeUris, member: Actor, token: str
) -> ContentObject:
    """One of our events that `member` organizes (NotFound for others' hidden events)."""
    event = await local_event(session, uris, token)
    if not await may_organize(session, member, event):
        if not await may_see(session, event, member):
            raise NotFound("no such event on this node")
        raise Forbidden("only the event's organizer may do this")
    return event


@router.post(
    "/participations",
    status_code=201,
    response_model=ParticipationOut,
    summary="Take part in an event (member)",
    description="An event of this node is decided at once: `accepted` for a free event with "
    "places left, `pending` for one whose organizer approves participants. An event of "
    "another node is sent a Join and stays `pending` until its organizer answers.",
    responses=participation_errors(401, 403, 404, 409, 410),
)
async def take_part(
    data: ParticipationIn,
    member: MemberDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    now = datetime.now(UTC)
    async with session.begin():
        event = await _event(session, member, data.event)
        if event.local:
            row = await join_local_event(session, uris, event, member, join_uri=None,
                                         message=data.message, now=now)  # fmt: skip
        else:
            row = await join_remote_event(session, uris, event, member, message=data.message,
                                          now=now)  # fmt: skip
        out = participation_out(row, event)
    documents.clear()
    return json_response(out, status_code=201)


@router.get(
    "/participations",
    response_model=ParticipationList,
    summary="Your participations (member)",
    description="The events you take part in or asked to, soonest first.",
    responses=participation_errors(401),
)
async def own_participations(member: MemberDep, session: SessionDep) -> Response:
    rows = await session.execute(
        select(EventParticipant, ContentObject)
        .join(ContentObject, ContentObject.id == EventParticipant.event_id)
        .where(EventParticipant.actor_id == member.id, ContentObject.deleted_at.is_(None))
        .order_by(ContentObject.starts_at, EventParticipant.id)
        .limit(OWN_LIMIT)
    )
    items = [participation_out(row, event) for row, event in rows.all()]
    return json_response(ParticipationList(items=items))


@router.delete(
    "/participations",
    status_code=204,
    response_class=Response,
    summary="Leave an event (member)",
    description="Stops taking part, or withdraws a pending request. For an event of another "
    "node, its organizer is sent Leave.",
    responses=participation_errors(401, 404, 410),
)
async def stop_taking_part(
    event: EventUri, member: MemberDep, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> Response:
    async with session.begin():
        found = await _event(session, member, event)
        if not await leave_event(session, uris, found, member, datetime.now(UTC)):
            raise NotFound("you are not taking part in this event")
    documents.clear()
    return Response(status_code=204)


@router.get(
    "/events/{token}/participants",
    response_model=ParticipantPage,
    summary="An event's participants (organizer)",
    description="Requests and participants of one of your events, oldest first; `state` "
    "filters. Only the author, or a coordinator of the authoring project, may read it.",
    responses=participation_errors(401, 403, 404, 410),
)
async def list_participants(
    token: Token,
    member: MemberDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    state: State | None = None,
    limit: Limit = 50,
    after: After = None,
) -> Response:
    event = await _organized(session, uris, member, token)
    query = (
        select(EventParticipant, Actor)
        .join(Actor, Actor.id == EventParticipant.actor_id)
        .where(EventParticipant.event_id == event.id)
    )
    if state is not None:
        query = query.where(EventParticipant.state == state)
    position = parse_cursor(after)
    if position is not None:
        query = query.where(EventParticipant.id > position)
    found = (await session.execute(query.order_by(EventParticipant.id).limit(limit + 1))).all()
    items = [participant_out(row, actor, uris.domain) for row, actor in found[:limit]]
    last = found[limit - 1][0].id if len(found) > limit else None
    link = next_url(settings.base_url, f"/api/v1/events/{token}/participants", limit=limit,
                    last_id=last)  # fmt: skip
    if link is not None and state is not None:
        link += f"&state={state}"
    return json_response(ParticipantPage(items=items, next=link))


@router.post(
    "/events/{token}/participants/{participant}/{decision}",
    response_model=ParticipantOut,
    summary="Answer a participation request (organizer)",
    description="`accept`: a pending request becomes `accepted` (409 when the event is full); "
    "`reject`: it becomes `rejected`. A remote participant is sent Accept{Join} or Reject{Join}, "
    "a local one is notified.",
    responses=participation_errors(401, 403, 404, 409, 410),
)
async def answer_participant(
    token: Token,
    participant: ParticipantId,
    decision: Decision,
    member: MemberDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        event = await _organized(session, uris, member, token)
        row = await session.get(EventParticipant, participant)
        if row is None or row.event_id != event.id:
            raise NotFound("no such participation in this event")
        await decide(session, uris, row, decision == "accept", datetime.now(UTC))
        actor = await session.get(Actor, row.actor_id)
        if actor is None:
            raise NotFound("the participant no longer exists")
        out = participant_out(row, actor, uris.domain)
    documents.clear()
    return json_response(out)
