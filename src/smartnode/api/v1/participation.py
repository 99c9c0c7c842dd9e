"""Taking part in events (a member token, an app granted `write:events`, or an admin token
with `?as=`; content/participation_cases.py decides): /participations for a member's own, and
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

from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
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
from smartnode.content import participation_cases as cases

router = APIRouter(tags=["events"], route_class=ChallengeRoute)

Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The event's `id`.")]
ParticipantId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Decision = Annotated[Literal["accept", "reject"], Path(description="`accept` or `reject`.")]
EventUri = Annotated[str, Query(min_length=1, max_length=2048, description="The Event's id.")]


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
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        row, event = await cases.take_part(
            session, uris, principal, data.event, data.message, datetime.now(UTC)
        )
        out = participation_out(row, event)
    documents.clear()
    return json_response(out, status_code=201)


@router.get(
    "/participations",
    response_model=ParticipationList,
    summary="Your participations (member)",
    description="The events you take part in or asked to, soonest first.",
    responses=participation_errors(401, 403),
)
async def own_participations(principal: PrincipalDep, session: SessionDep) -> Response:
    rows = await cases.my_participations(session, principal)
    items = [participation_out(row, event) for row, event in rows]
    return json_response(ParticipationList(items=items))


@router.delete(
    "/participations",
    status_code=204,
    response_class=Response,
    summary="Leave an event (member)",
    description="Stops taking part, or withdraws a pending request. For an event of another "
    "node, its organizer is sent Leave.",
    responses=participation_errors(401, 403, 404, 410),
)
async def stop_taking_part(
    event: EventUri,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await cases.stop_taking_part(session, uris, principal, event, datetime.now(UTC))
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
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    state: State | None = None,
    limit: Limit = 50,
    after: After = None,
) -> Response:
    found = await cases.participants(
        session, uris, principal, token, state, limit=limit + 1, after_id=parse_cursor(after)
    )
    items = [participant_out(row, actor, uris.domain) for row, actor in found[:limit]]
    last = found[limit - 1][0].id if len(found) > limit else None
    link = next_url(settings.base_url, f"/api/smart/v1/events/{token}/participants", limit=limit,
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
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        row, actor = await cases.answer_participant(
            session, uris, principal, token, participant, decision == "accept", datetime.now(UTC)
        )
        out = participant_out(row, actor, uris.domain)
    documents.clear()
    return json_response(out)
