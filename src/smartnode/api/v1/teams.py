"""The native API for teams across nodes.

Coordinators of our projects (or an admin) invite (anyone, by handle or URL), answer Join
requests, change roles and remove members; every change goes out as Invite / Accept / Reject /
Add / Remove. Our members join and leave projects of any node and answer their invitations.
`GET /teams` shows a project's team as this node knows it (for a remote project: as its
Add/Remove told us). Who may do what is decided in content/team_cases.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from smartnode.api.deps import DocumentsDep, SessionDep, UrisDep, request_resolver
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
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
from smartnode.content import team_cases as teams
from smartnode.content.team_cases import RequestView
from smartnode.federation.fetch import FetchError

router = APIRouter(tags=["teams"], route_class=ChallengeRoute)

Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]
RequestId = Annotated[int, Path(ge=1, description="The request's id.")]
Decision = Annotated[str, Path(pattern="^(accept|reject)$", description="accept or reject")]
ActorQuery = Annotated[str, Query(min_length=1, max_length=2048, description="Handle or URL.")]


def _unreachable(error: FetchError) -> Response:
    body = {"error": f"the other server failed: {error.message}", "code": error.code}
    return JSONResponse(body, status_code=502)


def _out(view: RequestView, domain: str) -> TeamRequestOut:
    return request_out(view.row, view.project, view.person, domain)


@router.post(
    "/projects/{slug}/invitations",
    status_code=201,
    response_model=TeamRequestOut,
    summary="Invite someone of any node to a project's team (coordinator or admin)",
    responses=team_errors(401, 403, 404, 409, 410, 502),
)
async def post_invitation(
    slug: Slug, body: InvitationIn, principal: PrincipalDep, request: Request,
    session: SessionDep, uris: UrisDep,
) -> Response:  # fmt: skip
    try:
        async with session.begin():
            view = await teams.invite_person(
                session, uris, principal, slug, body.actor, body.role,
                request_resolver(request, session, _now()), _now(),
            )  # fmt: skip
            out = _out(view, uris.domain)
    except FetchError as error:
        return _unreachable(error)
    return json_response(out, status_code=201)


@router.get(
    "/projects/{slug}/requests",
    response_model=TeamRequestList,
    summary="Pending join requests and invitations of a project (coordinator or admin)",
    responses=team_errors(401, 403, 404, 410),
)
async def list_requests(
    slug: Slug, principal: PrincipalDep, session: SessionDep, uris: UrisDep
) -> Response:
    async with session.begin():
        views = await teams.pending_requests(session, principal, slug)
        items = [_out(view, uris.domain) for view in views]
    return json_response(TeamRequestList(items=items))


@router.post(
    "/projects/{slug}/requests/{request_id}/{decision}",
    response_model=TeamRequestOut,
    summary="Accept or reject a join request (coordinator or admin)",
    description="Accept adds the person (Add published) and sends them the Accept.",
    responses=team_errors(401, 403, 404, 409, 410),
)
async def decide_request(
    slug: Slug, request_id: RequestId, decision: Decision, principal: PrincipalDep,
    session: SessionDep, uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    async with session.begin():
        view = await teams.decide_join(
            session, uris, principal, slug, request_id, decision == "accept", _now()
        )
        out = _out(view, uris.domain)
    documents.clear()
    return json_response(out)


@router.put(
    "/projects/{slug}/members",
    response_model=TeamMemberOut,
    summary="Change a team member's role (coordinator or admin); the Add is published with it",
    responses=team_errors(401, 403, 404, 409, 410, 502),
)
async def put_member_role(
    slug: Slug, body: MemberRoleIn, principal: PrincipalDep, request: Request,
    session: SessionDep, uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    try:
        async with session.begin():
            row, other = await teams.change_role_of(
                session, uris, principal, slug, body.actor, body.role,
                request_resolver(request, session, _now()), _now(),
            )  # fmt: skip
            out = team_member_out(row, other, uris)
    except FetchError as error:
        return _unreachable(error)
    documents.clear()
    return json_response(out)


@router.delete(
    "/projects/{slug}/members",
    status_code=204,
    response_class=Response,
    summary="Remove a team member (coordinator or admin); the Remove is published",
    responses=team_errors(401, 403, 404, 409, 410),
)
async def delete_member(
    slug: Slug, actor: ActorQuery, principal: PrincipalDep, request: Request,
    session: SessionDep, uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    async with session.begin():
        await teams.remove_by_ref(
            session,
            uris,
            principal,
            slug,
            actor,
            request_resolver(request, session, _now()),
            _now(),
        )
    documents.clear()
    return Response(status_code=204)


@router.post(
    "/projects/join",
    status_code=202,
    response_model=TeamRequestOut,
    summary="Ask to join a project of any node",
    description="A Join goes to the project; the request stays pending until it is answered.",
    responses=team_errors(401, 403, 404, 409, 502),
)
async def join_project(
    body: ProjectRefIn, principal: PrincipalDep, request: Request, session: SessionDep,
    uris: UrisDep,
) -> Response:  # fmt: skip
    try:
        async with session.begin():
            found = request_resolver(request, session, _now())
            view = await teams.join_project(session, uris, principal, body.project, found, _now())
            out = _out(view, uris.domain)
    except FetchError as error:
        return _unreachable(error)
    return json_response(out, status_code=202)


@router.post(
    "/projects/leave",
    status_code=204,
    response_class=Response,
    summary="Leave a project's team (of any node)",
    responses=team_errors(401, 403, 404, 502),
)
async def leave_project(
    body: ProjectRefIn, principal: PrincipalDep, request: Request, session: SessionDep,
    uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    try:
        async with session.begin():
            found = request_resolver(request, session, _now())
            await teams.leave_project(session, uris, principal, body.project, found, _now())
    except FetchError as error:
        return _unreachable(error)
    documents.clear()
    return Response(status_code=204)


@router.get(
    "/invitations",
    response_model=TeamRequestList,
    summary="My pending invitations",
    responses=team_errors(401, 403),
)
async def my_invitations(principal: PrincipalDep, session: SessionDep, uris: UrisDep) -> Response:
    async with session.begin():
        views = await teams.my_invitations(session, principal)
        items = [_out(view, uris.domain) for view in views]
    return json_response(TeamRequestList(items=items))


@router.post(
    "/invitations/{request_id}/{decision}",
    response_model=TeamRequestOut,
    summary="Accept or reject one of my invitations",
    description="For a remote project an Accept or Reject of its Invite is sent to it.",
    responses=team_errors(401, 403, 404, 409),
)
async def answer_my_invitation(
    request_id: RequestId, decision: Decision, principal: PrincipalDep, session: SessionDep,
    uris: UrisDep, documents: DocumentsDep,
) -> Response:  # fmt: skip
    async with session.begin():
        view = await teams.answer_my_invitation(
            session, uris, principal, request_id, decision == "accept", _now()
        )
        out = _out(view, uris.domain)
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
        actor, rows = await teams.known_team(session, project)
        members = [team_member_out(row, person, uris) for row, person in rows]
    return json_response(TeamOut(project=actor.uri, local=actor.local, team=members))


def _now() -> datetime:
    return datetime.now(UTC)
