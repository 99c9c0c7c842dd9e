"""The native API for teams across nodes (member tokens).

Coordinators of our projects invite (anyone, by handle or URL), answer Join requests, change
roles and remove members; every change goes out as Invite / Accept / Reject / Add / Remove.
Our members join and leave projects of any node and answer their invitations. `GET /teams`
shows a project's team as this node knows it (for a remote project: as its Add/Remove told us).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import get_project, team
from smartnode.actors.resolve import FetchingResolver
from smartnode.api.deps import DocumentsDep, SessionDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MemberDep
from smartnode.api.v1.schemas import TeamMemberOut, json_response, team_member_out
from smartnode.api.v1.teams_schemas import (
    InvitationIn,
    MemberRoleIn,
    ProjectRefIn,
    TeamOut,
    TeamRequestList,
    TeamRequestOut,
    request_out,
    team_errors,
)
from smartnode.content.teams import (
    INVITE,
    JOIN,
    PENDING,
    answer_invitation,
    answer_join,
    change_role,
    expel,
    invite,
    join_remote,
    leave,
    record_join,
    require_coordinator,
)
from smartnode.errors import NotFound
from smartnode.federation.fetch import FetchBudget, Fetcher, FetchError
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token
from smartnode.storage.models import Actor
from smartnode.storage.models_work import TeamRequest

#: Outbound requests one API call may make (WebFinger, its loop-back, redirects, the actor).
FETCHES_PER_CALL = 10
TEAM_LIMIT = 500
router = APIRouter(tags=["teams"], route_class=ChallengeRoute)

Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]
RequestId = Annotated[int, Path(ge=1, description="The request's id.")]
Decision = Annotated[str, Path(pattern="^(accept|reject)$", description="accept or reject")]
ActorQuery = Annotated[str, Query(min_length=1, max_length=2048, description="Handle or URL.")]


def _resolver(request: Request, session: AsyncSession, uris: NodeUris) -> FetchingResolver:
    fetcher: Fetcher = request.app.state.fetcher
    signer: httpx.Auth = request.app.state.node_signer
    return FetchingResolver(session, uris, fetcher, now=datetime.now(UTC), signer=signer,
                            budget=FetchBudget(FETCHES_PER_CALL))  # fmt: skip


async def _actor(resolver: FetchingResolver, ref: str) -> Actor:
    """The live actor a handle or URL names (NotFound otherwise)."""
    ref = ref.strip()
    found = await resolver.actor(ref) if "://" in ref else await resolver.account(ref)
    if found is None or found.deleted_at is not None:
        raise NotFound(f"no actor found for {ref!r}")
    return found


def _unreachable(error: FetchError) -> Response:
    body = {"error": f"the other server failed: {error.message}", "code": error.code}
    return JSONResponse(body, status_code=502)


async def _request_out(session: AsyncSession, row: TeamRequest, domain: str) -> TeamRequestOut:
    project = await session.get(Actor, row.project_id)
    actor = await session.get(Actor, row.actor_id)
    if project is None or actor is None:
        raise NotFound("the request's project or person no longer exists")
    return request_out(row, project, actor, domain)


@router.post(
    "/projects/{slug}/invitations",
    status_code=201,
    response_model=TeamRequestOut,
    summary="Invite someone of any node to a project's team (coordinator)",
    responses=team_errors(401, 403, 404, 409, 410, 502),
)
async def post_invitation(
    slug: Slug, body: InvitationIn, member: MemberDep, request: Request, session: SessionDep,
    uris: UrisDep,
) -> Response:  # fmt: skip
    try:
        async with session.begin():
            project, _ = await get_project(session, slug)
            await require_coordinator(session, project, member)
            invitee = await _actor(_resolver(request, session, uris), body.actor)
            row = await invite(session, uris, project, member, invitee, body.role, _now())
            out = request_out(row, project, invitee, uris.domain)
    except FetchError as error:
        return _unreachable(error)
    return json_response(out, status_code=201)


@router.get(
    "/projects/{slug}/requests",
    response_model=TeamRequestList,
    summary="Pending join requests and invitations of a project (coordinator)",
    responses=team_errors(401, 403, 404, 410),
)
async def list_requests(
    slug: Slug, member: MemberDep, session: SessionDep, uris: UrisDep
) -> Response:
    async with session.begin():
        project, _ = await get_project(session, slug)
        await require_coordinator(session, project, member)
        rows = await session.scalars(
            select(TeamRequest)
            .where(TeamRequest.project_id == project.id, TeamRequest.state == PENDING)
            .order_by(TeamRequest.id)
        )
        items = [await _request_out(session, row, uris.domain) for row in rows.all()]
    return json_response(TeamRequestList(items=items))


@router.post(
    "/projects/{slug}/requests/{request_id}/{decision}",
    response_model=TeamRequestOut,
    summary="Accept or reject a join request (coordinator)",
    description="Accept adds the person (Add published) and sends them the Accept.",
    responses=team_errors(401, 403, 404, 409, 410),
)
async def decide_request(
    slug: Slug, request_id: RequestId, decision: Decision, member: MemberDep,
    session: SessionDep, uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    async with session.begin():
        project, _ = await get_project(session, slug)
        await require_coordinator(session, project, member)
        row = await session.get(TeamRequest, request_id)
        if row is None or row.project_id != project.id or row.kind != JOIN:
            raise NotFound("no such join request for this project")
        await answer_join(session, uris, row, decision == "accept", _now())
        out = await _request_out(session, row, uris.domain)
    documents.clear()
    return json_response(out)


@router.put(
    "/projects/{slug}/members",
    response_model=TeamMemberOut,
    summary="Change a team member's role (coordinator); the Add is published with it",
    responses=team_errors(401, 403, 404, 409, 410, 502),
)
async def put_member_role(
    slug: Slug, body: MemberRoleIn, member: MemberDep, request: Request, session: SessionDep,
    uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    try:
        async with session.begin():
            project, _ = await get_project(session, slug)
            await require_coordinator(session, project, member)
            other = await _actor(_resolver(request, session, uris), body.actor)
            row = await change_role(session, uris, project, other, body.role, _now())
            out = team_member_out(row, other, uris)
    except FetchError as error:
        return _unreachable(error)
    documents.clear()
    return json_response(out)


@router.delete(
    "/projects/{slug}/members",
    status_code=204,
    response_class=Response,
    summary="Remove a team member (coordinator); the Remove is published",
    responses=team_errors(401, 403, 404, 409, 410),
)
async def delete_member(
    slug: Slug, actor: ActorQuery, member: MemberDep, request: Request, session: SessionDep,
    uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    async with session.begin():
        project, _ = await get_project(session, slug)
        await require_coordinator(session, project, member)
        other = await _actor(_resolver(request, session, uris), actor)
        await expel(session, uris, project, other, _now())
    documents.clear()
    return Response(status_code=204)


@router.post(
    "/projects/join",
    status_code=202,
    response_model=TeamRequestOut,
    summary="Ask to join a project of any node",
    description="A Join goes to the project; the request stays pending until it is answered.",
    responses=team_errors(401, 404, 409, 502),
)
async def join_project(
    body: ProjectRefIn, member: MemberDep, request: Request, session: SessionDep, uris: UrisDep
) -> Response:
    try:
        async with session.begin():
            project = await _actor(_resolver(request, session, uris), body.project)
            moment = _now()
            if project.local and project.kind == "project":
                uri = uris.activity(new_token(moment))
                row = await record_join(session, uri, project, member, moment)
            else:
                row = await join_remote(session, uris, project, member, moment)
            out = request_out(row, project, member, uris.domain)
    except FetchError as error:
        return _unreachable(error)
    return json_response(out, status_code=202)


@router.post(
    "/projects/leave",
    status_code=204,
    response_class=Response,
    summary="Leave a project's team (of any node)",
    responses=team_errors(401, 404, 502),
)
async def leave_project(
    body: ProjectRefIn, member: MemberDep, request: Request, session: SessionDep,
    uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    try:
        async with session.begin():
            project = await _actor(_resolver(request, session, uris), body.project)
            await leave(session, uris, project, member, _now())
    except FetchError as error:
        return _unreachable(error)
    documents.clear()
    return Response(status_code=204)


@router.get(
    "/invitations",
    response_model=TeamRequestList,
    summary="My pending invitations",
    responses=team_errors(401),
)
async def my_invitations(member: MemberDep, session: SessionDep, uris: UrisDep) -> Response:
    async with session.begin():
        rows = await session.scalars(
            select(TeamRequest)
            .where(TeamRequest.actor_id == member.id, TeamRequest.kind == INVITE)
            .where(TeamRequest.state == PENDING)
            .order_by(TeamRequest.id)
        )
        items = [await _request_out(session, row, uris.domain) for row in rows.all()]
    return json_response(TeamRequestList(items=items))


@router.post(
    "/invitations/{request_id}/{decision}",
    response_model=TeamRequestOut,
    summary="Accept or reject one of my invitations",
    description="For a remote project an Accept or Reject of its Invite is sent to it.",
    responses=team_errors(401, 404, 409),
)
async def answer_my_invitation(
    request_id: RequestId, decision: Decision, member: MemberDep, session: SessionDep,
    uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    async with session.begin():
        row = await session.get(TeamRequest, request_id)
        if row is None or row.actor_id != member.id or row.kind != INVITE:
            raise NotFound("no such invitation of yours")
        await answer_invitation(session, uris, row, decision == "accept", _now())
        out = await _request_out(session, row, uris.domain)
    documents.clear()
    return json_response(out)


@router.get(
    "/teams",
    response_model=TeamOut,
    summary="A project's team as this node knows it (any node's project, by URL)",
    responses=team_errors(404),
)
async def read_team(project: ActorQuery, session: SessionDep, uris: UrisDep) -> Response:
    async with session.begin():
        actor = await session.scalar(
            select(Actor).where(Actor.uri == project, Actor.deleted_at.is_(None))
        )
        if actor is None or actor.kind not in ("project", "remote"):
            raise NotFound(f"no project known here as {project!r}")
        if actor.kind == "remote" and actor.ap_type != "Group":
            raise NotFound(f"{project!r} is not a project (Group)")
        rows = await team(session, actor, limit=TEAM_LIMIT)
        members = [team_member_out(row, person, uris) for row, person in rows]
    return json_response(TeamOut(project=actor.uri, local=actor.local, team=members))


def _now() -> datetime:
    return datetime.now(UTC)
