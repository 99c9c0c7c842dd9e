"""Teams as the native API, the CLI and the apps use them: each use case takes the acting
principal and decides with actors/acting.py. Services never commit.

A project's coordinators (or an admin) invite, answer join requests, change roles and remove
people (`write:projects`; listing requests needs `read`); each change goes out as Invite,
Accept/Reject, Add or Remove. A member joins and leaves projects of any node and answers
their invitations. Who acts is checked before anyone is looked up on another server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import (
    READ,
    WRITE_PROJECTS,
    acting_member,
    manager,
    maybe_member,
    require_manages,
)
from smartnode.actors.members import get_member
from smartnode.actors.projects import Role, get_project, team, team_row
from smartnode.actors.resolve import ActorResolver
from smartnode.content.teams import (
    INVITE,
    JOIN,
    PENDING,
    add_member,
    answer_invitation,
    answer_join,
    change_role,
    expel,
    invite,
    join_remote,
    leave,
    pending_request,
    record_join,
)
from smartnode.errors import NotFound
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import ProjectMember
from smartnode.storage.models_work import TeamRequest

#: A team shown at once holds at most this many people.
TEAM_LIMIT = 500


@dataclass(frozen=True, slots=True)
class RequestView:
    """A join request or invitation with its project and the person it is about."""

    row: TeamRequest
    project: Actor
    person: Actor


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the acting member stands with a project: their role in its team (None: not in
    it), whether they asked to join, and their pending invitation's id."""

    role: str | None
    asked: bool
    invitation_id: int | None


async def my_standing(
    session: AsyncSession, principal: Principal, project: Actor
) -> Standing | None:
    """The acting member's standing with `project` (None for anyone but a member)."""
    member = await maybe_member(session, principal, READ)
    if member is None or member.kind != "member":
        return None
    row = await team_row(session, project, member)
    asked = await pending_request(session, JOIN, project, member) is not None
    invited = await pending_request(session, INVITE, project, member)
    return Standing(row.role if row else None, asked, invited.id if invited else None)


async def request_view(session: AsyncSession, row: TeamRequest) -> RequestView:
    project = await session.get(Actor, row.project_id)
    person = await session.get(Actor, row.actor_id)
    if project is None or person is None:
        raise NotFound("the request's project or person no longer exists")
    return RequestView(row, project, person)


async def resolve_actor(resolver: ActorResolver, ref: str) -> Actor:
    """The live actor a handle or URL names (NotFound otherwise)."""
    ref = ref.strip()
    found = await resolver.actor(ref) if "://" in ref else await resolver.account(ref)
    if found is None or found.deleted_at is not None:
        raise NotFound(f"no actor found for {ref!r}")
    return found


async def _managed(
    session: AsyncSession, principal: Principal, slug: str, scope: str = WRITE_PROJECTS
) -> tuple[Actor, Actor | None]:
    """One of our projects and who manages it here (a coordinator, or None: an admin)."""
    who = await manager(session, principal, scope)
    project, _ = await get_project(session, slug)
    return project, await require_manages(session, who, project)


async def invite_person(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, ref: str,
    role: Role, resolver: ActorResolver, now: datetime,
) -> RequestView:  # fmt: skip
    """A coordinator (or an admin) invites someone of any node to the project's team."""
    project, inviter = await _managed(session, principal, slug)
    invitee = await resolve_actor(resolver, ref)
    row = await invite(session, uris, project, inviter, invitee, role, now)
    return RequestView(row, project, invitee)


async def pending_requests(
    session: AsyncSession, principal: Principal, slug: str
) -> list[RequestView]:
    """The project's pending join requests and invitations, oldest first."""
    project, _ = await _managed(session, principal, slug, READ)
    rows = await session.scalars(
        select(TeamRequest)
        .where(TeamRequest.project_id == project.id, TeamRequest.state == PENDING)
        .order_by(TeamRequest.id)
    )
    return [await request_view(session, row) for row in rows.all()]


async def decide_join(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, request_id: int,
    accept: bool, now: datetime,
) -> RequestView:  # fmt: skip
    """A coordinator (or an admin) accepts or rejects a join request to the project."""
    project, _ = await _managed(session, principal, slug)
    row = await session.get(TeamRequest, request_id)
    if row is None or row.project_id != project.id or row.kind != JOIN:
        raise NotFound("no such join request for this project")
    await answer_join(session, uris, row, accept, now)
    return await request_view(session, row)


async def set_local_role(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, username: str,
    role: Role, now: datetime,
) -> tuple[ProjectMember, Actor, bool]:  # fmt: skip
    """A coordinator (or an admin) puts a member of this node in the team or changes their
    role; the Add is published. True when added. The last coordinator stays (Conflict)."""
    project, _ = await _managed(session, principal, slug)
    member, _profile = await get_member(session, username)
    if await team_row(session, project, member) is None:
        return await add_member(session, uris, project, member, role, now), member, True
    return await change_role(session, uris, project, member, role, now), member, False


async def change_role_of(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, ref: str,
    role: Role, resolver: ActorResolver, now: datetime,
) -> tuple[ProjectMember, Actor]:  # fmt: skip
    """A coordinator (or an admin) changes the role of a team member named by handle or URL
    (of any node); the Add is published with it."""
    project, _ = await _managed(session, principal, slug)
    person = await resolve_actor(resolver, ref)
    return await change_role(session, uris, project, person, role, now), person


async def remove_by_ref(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, ref: str,
    resolver: ActorResolver, now: datetime,
) -> None:  # fmt: skip
    """A coordinator (or an admin) takes someone named by handle or URL out of the team."""
    project, _ = await _managed(session, principal, slug)
    await expel(session, uris, project, await resolve_actor(resolver, ref), now)


async def remove_local(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, username: str,
    now: datetime,
) -> None:  # fmt: skip
    """A coordinator (or an admin) takes a member of this node out of the team (Remove)."""
    project, _ = await _managed(session, principal, slug)
    member, _profile = await get_member(session, username)
    await expel(session, uris, project, member, now)


async def join_project(
    session: AsyncSession, uris: NodeUris, principal: Principal, ref: str,
    resolver: ActorResolver, now: datetime,
) -> RequestView:  # fmt: skip
    """The acting member asks to join a project of any node (a Join; pending until answered)."""
    member = await acting_member(session, principal, WRITE_PROJECTS)
    project = await resolve_actor(resolver, ref)
    if project.local and project.kind == "project":
        row = await record_join(session, uris.activity(new_token(now)), project, member, now)
    else:
        row = await join_remote(session, uris, project, member, now)
    return RequestView(row, project, member)


async def leave_project(
    session: AsyncSession, uris: NodeUris, principal: Principal, ref: str,
    resolver: ActorResolver, now: datetime,
) -> None:  # fmt: skip
    """The acting member leaves a project's team (of any node)."""
    member = await acting_member(session, principal, WRITE_PROJECTS)
    await leave(session, uris, await resolve_actor(resolver, ref), member, now)


async def my_invitations(session: AsyncSession, principal: Principal) -> list[RequestView]:
    """The acting member's pending invitations, oldest first."""
    member = await acting_member(session, principal, READ)
    rows = await session.scalars(
        select(TeamRequest)
        .where(TeamRequest.actor_id == member.id, TeamRequest.kind == INVITE)
        .where(TeamRequest.state == PENDING)
        .order_by(TeamRequest.id)
    )
    return [await request_view(session, row) for row in rows.all()]


async def answer_my_invitation(
    session: AsyncSession, uris: NodeUris, principal: Principal, request_id: int, accept: bool,
    now: datetime,
) -> RequestView:  # fmt: skip
    """The acting member accepts or rejects one of their invitations."""
    member = await acting_member(session, principal, WRITE_PROJECTS)
    row = await session.get(TeamRequest, request_id)
    if row is None or row.actor_id != member.id or row.kind != INVITE:
        raise NotFound("no such invitation of yours")
    await answer_invitation(session, uris, row, accept, now)
    return await request_view(session, row)


async def known_team(
    session: AsyncSession, project_uri: str
) -> tuple[Actor, Sequence[tuple[ProjectMember, Actor]]]:
    """A project's team as this node knows it (ours, or another node's by its Add/Remove)."""
    actor = await session.scalar(
        select(Actor).where(Actor.uri == project_uri, Actor.deleted_at.is_(None))
    )
    if actor is None or actor.kind not in ("project", "remote"):
        raise NotFound(f"no project known here as {project_uri!r}")
    if actor.kind == "remote" and actor.ap_type != "Group":
        raise NotFound(f"{project_uri!r} is not a project (Group)")
    return actor, await team(session, actor, limit=TEAM_LIMIT)
