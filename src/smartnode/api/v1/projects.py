"""/api/smart/v1/projects: list, read, create, edit and delete projects; manage their teams.

Members create projects (and coordinate them); coordinators (or an admin) edit them and their
teams; admins delete them. Who may do what is decided in actors/project_cases.py and
content/team_cases.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response

from smartnode.actors import project_cases as projects
from smartnode.actors.inputs import ProjectInput, ProjectUpdate
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
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
from smartnode.content import team_cases as teams

PATH = "/projects"
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
    rows = await projects.project_page(session, limit=limit + 1, after_id=parse_cursor(after))
    shown = rows[:limit]
    last_id = shown[-1][0].id if len(rows) > limit else None
    page = ProjectPage(
        items=[project_out(actor, project, uris) for actor, project in shown],
        next=next_url(settings.base_url, f"/api/smart/v1{PATH}", limit=limit, last_id=last_id),
    )
    return json_response(page)


@router.get(
    "/{slug}",
    response_model=ProjectDetail,
    summary="Read a project with its team",
    responses=errors(404, 410),
)
async def read_project(slug: Slug, session: SessionDep, uris: UrisDep) -> Response:
    actor, project, rows = await projects.project_detail(session, slug)
    return json_response(project_detail(actor, project, list(rows), uris))


@router.post(
    "",
    status_code=201,
    response_model=ProjectDetail,
    summary="Create a project (member or admin)",
    description="The slug comes from the name unless given. A member (a member token, or an "
    "app granted `write:projects`) creates a project they coordinate; an admin names its "
    "`coordinator` (or acts for one with `?as=`), who must be a member here.",
    responses=errors(401, 403, 409, 422),
)
async def add_project(
    data: ProjectInput,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        actor, project, rows = await projects.add_project(
            session, settings, principal, data, datetime.now(UTC)
        )
        out = project_detail(actor, project, list(rows), uris)
    documents.clear()
    location = f"{settings.base_url}/api/smart/v1{PATH}/{actor.username}"
    return json_response(out, status_code=201, headers={"Location": location})


@router.patch(
    "/{slug}",
    response_model=ProjectDetail,
    summary="Edit a project (coordinator or admin)",
    description="Only the fields given change (the slug never does): name, summary and its "
    "translations, language, country, city, sectors, website, images, whether followers are "
    "approved by hand. Followers get Update{Group}.",
    responses=errors(401, 403, 404, 410, 422),
)
async def change_project(
    slug: Slug,
    change: ProjectUpdate,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        actor, project, rows = await projects.change_project(
            session, uris, principal, slug, change, datetime.now(UTC)
        )
        out = project_detail(actor, project, list(rows), uris)
    documents.clear()
    return json_response(out)


@router.delete(
    "/{slug}",
    status_code=204,
    response_class=Response,
    summary="Delete a project (admin)",
    description="The project answers 410 Gone from then on; the slug is never reused.",
    responses=errors(401, 403, 404, 410),
)
async def remove_project(
    slug: Slug,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await projects.remove_project(session, uris, principal, slug, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)


@router.put(
    "/{slug}/team/{username}",
    response_model=TeamMemberOut,
    summary="Add a member of this node to the team or change their role (coordinator or admin)",
    description="201 when added, 200 when the role changed; the Add is published either way. "
    "The last coordinator cannot step down (409).",
    responses={
        201: {"model": TeamMemberOut, "description": "Added to the team."},
        **errors(401, 403, 404, 409, 410, 422),
    },
)
async def put_team_member(
    slug: Slug,
    username: Username,
    body: RoleIn,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        row, member, added = await teams.set_local_role(
            session, uris, principal, slug, username, body.role, datetime.now(UTC)
        )
        out = team_member_out(row, member, uris)
    documents.clear()
    return json_response(out, status_code=201 if added else 200)


@router.delete(
    "/{slug}/team/{username}",
    status_code=204,
    response_class=Response,
    summary="Remove a member of this node from the team (coordinator or admin)",
    description="The Remove is published. A project keeps at least one coordinator: removing "
    "the last one is refused (409).",
    responses=errors(401, 403, 404, 409, 410),
)
async def remove_team_member(
    slug: Slug,
    username: Username,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await teams.remove_local(session, uris, principal, slug, username, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)
