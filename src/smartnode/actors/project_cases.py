"""Projects as the native API, the CLI and the apps use them: each use case takes the acting
principal and decides with actors/acting.py. Services never commit.

A member creates a project and becomes its coordinator (`write:projects`); an admin creates
one for any member. The project's coordinators (or an admin) edit it, and each edit goes out
as Update{Group}; deleting a project stays with the admins. Reading is public.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import (
    WRITE_PROJECTS,
    acting_member,
    coordinates,
    manager,
    maybe_member,
    require_admin,
    require_manages,
    spoken_for,
)
from smartnode.actors.federate import publish_actor_delete, publish_actor_update
from smartnode.actors.inputs import ProjectInput, ProjectUpdate
from smartnode.actors.members import delete_actor
from smartnode.actors.projects import (
    create_project,
    get_project,
    list_projects,
    team,
    update_project,
)
from smartnode.actors.records import get_local_actor
from smartnode.config import Settings
from smartnode.errors import Forbidden, Gone, NotFound, ValidationFailed
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import Project, ProjectMember

#: The detail view carries at most this many team members.
TEAM_LIMIT = 500
Team = Sequence[tuple[ProjectMember, Actor]]


async def project_detail(
    session: AsyncSession, slug: str, *, team_limit: int = TEAM_LIMIT
) -> tuple[Actor, Project, Team]:
    """A live project with its team (newest first)."""
    actor, project = await get_project(session, slug)
    return actor, project, await team(session, actor, limit=team_limit)


async def project_page(
    session: AsyncSession, *, limit: int, after_id: int | None
) -> Sequence[tuple[Actor, Project]]:
    """Live projects, oldest first."""
    return await list_projects(session, limit=limit, after_id=after_id)


async def _coordinator_of_new(
    session: AsyncSession, principal: Principal, data: ProjectInput
) -> str:
    """Who coordinates a new project: the member creating it (they may name only
    themselves), or for an admin the member named, else the one acted for with `?as=`."""
    if not principal.is_admin:
        member = await acting_member(session, principal, WRITE_PROJECTS)
        if data.coordinator is not None and data.coordinator.lower() != member.username:
            raise Forbidden("a member creates projects they coordinate themselves")
        return member.username
    named = data.coordinator
    acted_for = await spoken_for(session, principal)
    if named is None and acted_for is not None:
        return acted_for.username
    if named is None:
        raise ValidationFailed("coordinator: name the member who coordinates the project")
    return named


async def add_project(
    session: AsyncSession, settings: Settings, principal: Principal, data: ProjectInput,
    now: datetime,
) -> tuple[Actor, Project, Team]:  # fmt: skip
    """A member creates a project and coordinates it; an admin creates one for a member."""
    coordinator = await _coordinator_of_new(session, principal, data)
    try:
        actor = await create_project(
            session, settings, data.model_copy(update={"coordinator": coordinator}), now
        )
    except (NotFound, Gone) as exc:
        raise ValidationFailed(f"coordinator: {exc.message}") from None
    return await project_detail(session, actor.username, team_limit=1)


async def change_project(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str,
    change: ProjectUpdate, now: datetime,
) -> tuple[Actor, Project, Team]:  # fmt: skip
    """A coordinator (or an admin) edits the project; Update{Group} goes to its followers."""
    who = await manager(session, principal)
    actor, project = await get_project(session, slug)
    await require_manages(session, who, actor)
    update_project(actor, project, change, now)
    await session.flush()
    await publish_actor_update(session, uris, actor, now)
    return await project_detail(session, slug)


async def may_manage(session: AsyncSession, principal: Principal, project: Actor) -> bool:
    """Whether the principal may edit one of our projects and its team (shows the buttons)."""
    if not project.local or project.kind != ActorKind.PROJECT.value:
        return False
    if principal.is_admin:
        return True
    member = await maybe_member(session, principal, WRITE_PROJECTS)
    return member is not None and await coordinates(session, member, project)


async def remove_project(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, now: datetime
) -> None:
    """An admin deletes a project: 410 from then on, Delete{Group} to its followers."""
    require_admin(principal)
    actor = await get_local_actor(session, ActorKind.PROJECT, slug)
    await delete_actor(session, ActorKind.PROJECT, slug, now)
    await publish_actor_delete(session, uris, actor, now)
