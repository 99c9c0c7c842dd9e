"""Projects and their teams. Services never commit; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.inputs import ProjectInput, ProjectUpdate
from smartnode.actors.names import slugify
from smartnode.actors.records import get_local_actor, new_local_actor, set_images, set_summaries
from smartnode.config import Settings
from smartnode.errors import Conflict, NotFound, ValidationFailed
from smartnode.federation.uris import ActorKind
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import Project, ProjectMember


class Role(StrEnum):
    """A member's role in a project."""

    COORDINATOR = "coordinator"
    MEMBER = "member"
    GUEST = "guest"


async def create_project(
    session: AsyncSession, settings: Settings, data: ProjectInput, now: datetime
) -> Actor:
    """A new project with its coordinator; the coordinator must be a live local member."""
    if data.coordinator is None:
        raise ValidationFailed("coordinator: name the member who coordinates the project")
    coordinator = await get_local_actor(session, ActorKind.MEMBER, data.coordinator)
    slug = data.slug or slugify(data.name)
    actor = await new_local_actor(
        session,
        settings,
        kind=ActorKind.PROJECT,
        username=slug,
        name=data.name,
        summary=data.summary,
        summary_map=data.summary_map,
        language=data.language,
        now=now,
    )
    actor.icon_url = str(data.avatar_url) if data.avatar_url else None
    actor.image_url = str(data.header_url) if data.header_url else None
    actor.manually_approves_followers = data.manually_approves_followers
    actor.discoverable = True  # projects exist to be found; members opt in themselves
    actor.indexable = True
    session.add(
        Project(
            actor_id=actor.id,
            country=data.country,
            city=data.city,
            sectors=list(dict.fromkeys(data.sectors)),
            website=str(data.website) if data.website else None,
        )
    )
    await add_to_team(session, actor, coordinator, Role.COORDINATOR, now)
    return actor


def update_project(actor: Actor, project: Project, change: ProjectUpdate, now: datetime) -> None:
    """Apply the given fields of `change` to a project (its slug never changes)."""
    given = change.model_dump(exclude_unset=True)
    if change.name is not None:
        actor.name = change.name
    if change.language is not None:
        actor.language = change.language
    if "summary" in given or "summary_map" in given:
        set_summaries(actor, change.summary, change.summary_map)
    set_images(actor, given)
    if change.manually_approves_followers is not None:
        actor.manually_approves_followers = change.manually_approves_followers
    if change.country is not None:
        project.country = change.country
    if change.city is not None:
        project.city = change.city
    if change.sectors is not None:
        project.sectors = list(dict.fromkeys(change.sectors))
    if "website" in given:
        project.website = str(change.website) if change.website else None
    actor.updated_at = now


async def get_project(session: AsyncSession, slug: str) -> tuple[Actor, Project]:
    """A live project and its details (NotFound / Gone otherwise)."""
    actor = await get_local_actor(session, ActorKind.PROJECT, slug)
    project = await session.get(Project, actor.id)
    if project is None:
        raise RuntimeError(f"project {slug} has no project row")
    return actor, project


async def add_to_team(
    session: AsyncSession, project: Actor, member: Actor, role: Role, now: datetime
) -> ProjectMember:
    """Put a member in a project's team with a role (or change their role)."""
    row = await session.scalar(
        select(ProjectMember).where(
            ProjectMember.project_id == project.id, ProjectMember.member_id == member.id
        )
    )
    if row is None:
        row = ProjectMember(
            project_id=project.id, member_id=member.id, role=role.value, joined_at=now
        )
        session.add(row)
    else:
        row.role = role.value
    await session.flush()
    return row


async def team(
    session: AsyncSession, project: Actor, *, limit: int, before_id: int | None = None
) -> Sequence[tuple[ProjectMember, Actor]]:
    """A project's live team, newest first, keyset-paged by membership id."""
    query = (
        select(ProjectMember, Actor)
        .join(Actor, Actor.id == ProjectMember.member_id)
        .where(ProjectMember.project_id == project.id, Actor.deleted_at.is_(None))
        .order_by(ProjectMember.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(ProjectMember.id < before_id)
    rows = await session.execute(query)
    return [(m, a) for m, a in rows.all()]


async def list_projects(
    session: AsyncSession, *, limit: int, after_id: int | None = None
) -> Sequence[tuple[Actor, Project]]:
    """Live projects in creation order, keyset-paged by actor id."""
    query = (
        select(Actor, Project)
        .join(Project, Project.actor_id == Actor.id)
        .where(Actor.deleted_at.is_(None))
        .order_by(Actor.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Actor.id > after_id)
    rows = await session.execute(query)
    return [(a, p) for a, p in rows.all()]


#: Built once, as the next one: the inbox asks for them with every post about a project.
_COORDINATORS = (
    select(Actor)
    .join(ProjectMember, ProjectMember.member_id == Actor.id)
    .where(
        ProjectMember.project_id == bindparam("project_id"),
        ProjectMember.role == Role.COORDINATOR.value,
        Actor.deleted_at.is_(None),
    )
    .order_by(ProjectMember.id)
)
_TEAM_ROW = select(ProjectMember).where(
    ProjectMember.project_id == bindparam("project_id"),
    ProjectMember.member_id == bindparam("member_id"),
)


async def coordinators(session: AsyncSession, project: Actor) -> list[Actor]:
    """The live coordinators of a project (of any node), oldest first."""
    rows = await session.scalars(_COORDINATORS, {"project_id": project.id})
    return list(rows.all())


async def team_row(session: AsyncSession, project: Actor, member: Actor) -> ProjectMember | None:
    """A member's row in a project's team, if any."""
    return await session.scalar(_TEAM_ROW, {"project_id": project.id, "member_id": member.id})


async def _other_coordinators(session: AsyncSession, project_id: int, member_id: int) -> int:
    """Live coordinators of a project other than `member_id`."""
    found = await session.scalar(
        select(func.count())
        .select_from(ProjectMember)
        .join(Actor, Actor.id == ProjectMember.member_id)
        .where(
            ProjectMember.project_id == project_id,
            ProjectMember.role == Role.COORDINATOR.value,
            ProjectMember.member_id != member_id,
            Actor.deleted_at.is_(None),
        )
    )
    return int(found or 0)


async def keep_a_coordinator(session: AsyncSession, project: Actor, member: Actor) -> None:
    """Conflict unless the project has another live coordinator besides `member`."""
    # Lock the project row so two concurrent removals cannot both pass (PostgreSQL).
    await session.scalar(select(Project).where(Project.actor_id == project.id).with_for_update())
    if not await _other_coordinators(session, project.id, member.id):
        raise Conflict(
            f"project {project.username!r} must keep at least one coordinator: "
            f"make another member coordinator first"
        )


async def set_team_role(
    session: AsyncSession, project: Actor, member: Actor, role: Role, now: datetime
) -> tuple[ProjectMember, bool]:
    """Add a member to a team or change their role (True when added); keeps a coordinator."""
    row = await team_row(session, project, member)
    if row is not None and row.role == Role.COORDINATOR.value and role is not Role.COORDINATOR:
        await keep_a_coordinator(session, project, member)
    return await add_to_team(session, project, member, role, now), row is None


async def remove_from_team(session: AsyncSession, project: Actor, member: Actor) -> None:
    """Take a member out of a team; NotFound if not in it, Conflict if the last coordinator."""
    row = await team_row(session, project, member)
    if row is None:
        raise NotFound(f"{member.username!r} is not in the team of {project.username!r}")
    if row.role == Role.COORDINATOR.value:
        await keep_a_coordinator(session, project, member)
    await session.delete(row)
    await session.flush()


async def coordinated_alone(session: AsyncSession, member: Actor) -> list[str]:
    """Slugs of live projects whose only live coordinator is `member`."""
    rows = await session.execute(
        select(Actor.id, Actor.username)
        .join(ProjectMember, ProjectMember.project_id == Actor.id)
        .where(
            ProjectMember.member_id == member.id,
            ProjectMember.role == Role.COORDINATOR.value,
            Actor.deleted_at.is_(None),
        )
        .order_by(Actor.username)
    )
    return [
        slug
        for project_id, slug in rows.all()
        if not await _other_coordinators(session, project_id, member.id)
    ]
