"""/api/v1/projects: list, read, create and delete projects; manage their teams."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response

from smartnode.actors.federate import publish_actor_delete
from smartnode.actors.inputs import ProjectInput
from smartnode.actors.members import delete_actor, get_member
from smartnode.actors.projects import (
    create_project,
    get_project,
    list_projects,
    remove_from_team,
    set_team_role,
    team,
)
from smartnode.actors.records import get_local_actor
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import AdminDep, ChallengeRoute
from smartnode.api.v1.schemas import (
    After,
    Limit,
    ProjectDetail,
    ProjectPage,
    RoleIn,
    TeamMemberOut,
    errors,
    json_response,
    next_url,
    parse_cursor,
    project_detail,
    project_out,
    team_member_out,
)
from smartnode.errors import Gone, NotFound, ValidationFailed
from smartnode.federation.uris import ActorKind

PATH = "/projects"
#: The detail view carries at most this many team members.
TEAM_LIMIT = 500
router = APIRouter(prefix=PATH, tags=["projects"], route_class=ChallengeRoute)

Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]
Username = Annotated[str, Path(max_length=64, description="The team member's username.")]


@router.get(
    "",
    response_model=ProjectPage,
    summary="List projects",
    description="Oldest first; follow `next` for more.",
    responses=errors(),
)
async def list_project_page(
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    rows = await list_projects(session, limit=limit + 1, after_id=parse_cursor(after))
    shown = rows[:limit]
    last_id = shown[-1][0].id if len(rows) > limit else None
    page = ProjectPage(
        items=[project_out(actor, project, uris) for actor, project in shown],
        next=next_url(settings.base_url, f"/api/v1{PATH}", limit=limit, last_id=last_id),
    )
    return json_response(page)


@router.get(
    "/{slug}",
    response_model=ProjectDetail,
    summary="Read a project with its team",
    responses=errors(404, 410),
)
async def read_project(slug: Slug, session: SessionDep, uris: UrisDep) -> Response:
    actor, project = await get_project(session, slug)
    rows = await team(session, actor, limit=TEAM_LIMIT)
    return json_response(project_detail(actor, project, list(rows), uris))


@router.post(
    "",
    status_code=201,
    response_model=ProjectDetail,
    summary="Create a project (admin)",
    description="The slug comes from the name unless given; `coordinator` must be a member here.",
    responses=errors(401, 409, 422),
)
async def add_project(
    data: ProjectInput,
    _: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        try:
            actor = await create_project(session, settings, data, datetime.now(UTC))
        except (NotFound, Gone) as exc:
            raise ValidationFailed(f"coordinator: {exc.message}") from None
        actor, project = await get_project(session, actor.username)
        out = project_detail(actor, project, list(await team(session, actor, limit=1)), uris)
    documents.clear()
    location = f"{settings.base_url}/api/v1{PATH}/{actor.username}"
    return json_response(out, status_code=201, headers={"Location": location})


@router.delete(
    "/{slug}",
    status_code=204,
    response_class=Response,
    summary="Delete a project (admin)",
    description="The project answers 410 Gone from then on; the slug is never reused.",
    responses=errors(401, 404, 410),
)
async def remove_project(
    slug: Slug, _: AdminDep, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> Response:
    async with session.begin():
        moment = datetime.now(UTC)
        actor = await get_local_actor(session, ActorKind.PROJECT, slug)
        await delete_actor(session, ActorKind.PROJECT, slug, moment)
        await publish_actor_delete(session, uris, actor, moment)
    documents.clear()
    return Response(status_code=204)


@router.put(
    "/{slug}/team/{username}",
    response_model=TeamMemberOut,
    summary="Add a team member or change their role (admin)",
    description="201 when added, 200 when the role changed. The last coordinator cannot step "
    "down (409).",
    responses={
        201: {"model": TeamMemberOut, "description": "Added to the team."},
        **errors(401, 404, 409, 410, 422),
    },
)
async def put_team_member(
    slug: Slug,
    username: Username,
    body: RoleIn,
    _: AdminDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        project, _project = await get_project(session, slug)
        member, _profile = await get_member(session, username)
        row, added = await set_team_role(session, project, member, body.role, datetime.now(UTC))
        out = team_member_out(row, member, uris)
    documents.clear()
    return json_response(out, status_code=201 if added else 200)


@router.delete(
    "/{slug}/team/{username}",
    status_code=204,
    response_class=Response,
    summary="Remove a team member (admin)",
    description="A project keeps at least one coordinator: removing the last one is refused (409).",
    responses=errors(401, 404, 409, 410),
)
async def remove_team_member(
    slug: Slug, username: Username, _: AdminDep, session: SessionDep, documents: DocumentsDep
) -> Response:
    async with session.begin():
        project, _project = await get_project(session, slug)
        member, _profile = await get_member(session, username)
        await remove_from_team(session, project, member)
    documents.clear()
    return Response(status_code=204)
