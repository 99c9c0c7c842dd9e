"""Project teams across nodes: who is in a project's team with which role, and the activities
that change it (Join, Invite, Accept/Reject, Leave; Add/Remove on the members collection).

Our projects publish Add/Remove to their followers and the member; a remote project's team is
kept as it tells us (project_members rows under the remote Group's actor row). Services never
commit. Wire shapes: content/team_to_ap.py and docs/teams.md.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import (
    Role,
    add_to_team,
    coordinators,
    keep_a_coordinator,
    set_team_role,
    team_row,
)
from smartnode.content.notices import notify
from smartnode.content.team_to_ap import TEAM_CONTEXT, team_extra
from smartnode.errors import Conflict, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token, publish
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import ProjectMember
from smartnode.storage.models_work import TeamRequest

JOIN, INVITE = "join", "invite"
PENDING, ACCEPTED, REJECTED, WITHDRAWN = "pending", "accepted", "rejected", "withdrawn"
#: Notification kinds.
JOIN_REQUEST, INVITATION, NO_COORDINATOR = "team_join", "team_invite", "team_no_coordinator"


def _followers(project: Actor) -> str:
    return project.followers_uri or NodeUris.collection(project.uri, "followers")


async def add_member(
    session: AsyncSession,
    uris: NodeUris,
    project: Actor,
    member: Actor,
    role: Role,
    now: datetime,
) -> ProjectMember:
    """Put `member` (of any node) in one of our projects' team and publish the Add."""
    row = await add_to_team(session, project, member, role, now)
    await publish(
        session, uris, project, "Add", obj=member.uri, to=[member.uri, _followers(project)],
        now=now, extra=team_extra(project.uri, member.uri, role),
    )  # fmt: skip
    return row


async def remove_member(
    session: AsyncSession, uris: NodeUris, project: Actor, member: Actor, now: datetime
) -> None:
    """Take `member` out of one of our projects' team and publish the Remove."""
    row = await team_row(session, project, member)
    if row is None:
        raise NotFound(f"{member.uri} is not in the team of {project.username!r}")
    await session.delete(row)
    await session.flush()
    await publish(
        session, uris, project, "Remove", obj=member.uri, to=[member.uri, _followers(project)],
        now=now, extra=team_extra(project.uri, member.uri, None),
    )  # fmt: skip


async def notify_coordinators(
    session: AsyncSession, project: Actor, kind: str, uri: str, data: dict[str, str], now: datetime
) -> None:
    """Tell the project's local coordinators (remote ones learn through their own node)."""
    for actor in await coordinators(session, project):
        if actor.local:
            await notify(session, actor.id, kind, uri, data, now)


async def pending_request(
    session: AsyncSession, kind: str, project: Actor, actor: Actor
) -> TeamRequest | None:
    """The open Join or Invite of `actor` for `project`, if any."""
    return await session.scalar(
        select(TeamRequest)
        .where(TeamRequest.kind == kind, TeamRequest.project_id == project.id)
        .where(TeamRequest.actor_id == actor.id, TeamRequest.state == PENDING)
        .order_by(TeamRequest.id.desc())
        .limit(1)
    )


def new_request(
    uri: str, kind: str, project: Actor, actor: Actor, inviter: Actor | None, role: Role,
    now: datetime,
) -> TeamRequest:  # fmt: skip
    return TeamRequest(
        uri=uri, kind=kind, project_id=project.id, actor_id=actor.id,
        inviter_id=inviter.id if inviter else None, role=role.value, state=PENDING,
        created_at=now, answered_at=None,
    )  # fmt: skip


async def record_join(
    session: AsyncSession, uri: str, project: Actor, joiner: Actor, now: datetime
) -> TeamRequest:
    """Someone asks to join one of our projects: a pending request, coordinators told."""
    if await team_row(session, project, joiner) is not None:
        raise Conflict(f"{joiner.uri} is in the team of {project.username!r} already")
    if await pending_request(session, JOIN, project, joiner) is not None:
        raise Conflict(f"{joiner.uri} asked to join {project.username!r} already")
    request = new_request(uri, JOIN, project, joiner, None, Role.MEMBER, now)
    session.add(request)
    await session.flush()
    data = {"project": project.uri, "actor": joiner.uri}
    await notify_coordinators(session, project, JOIN_REQUEST, uri, data, now)
    return request


async def answer_join(
    session: AsyncSession, uris: NodeUris, request: TeamRequest, accept: bool, now: datetime
) -> TeamRequest:
    """A coordinator (of any node) answers a Join to one of our projects; the joiner is told."""
    if request.kind != JOIN or request.state != PENDING:
        raise Conflict(f"this request is {request.state}, not a pending join")
    project, joiner = await _parties(session, request)
    request.state, request.answered_at = (ACCEPTED if accept else REJECTED), now
    kind = "Accept" if accept else "Reject"
    join = {"id": request.uri, "type": "Join", "actor": joiner.uri, "object": project.uri}
    if not joiner.local:
        await publish(session, uris, project, kind, obj=join, to=[joiner.uri], now=now,
                      extra={"@context": TEAM_CONTEXT})  # fmt: skip
    if accept:
        await add_member(session, uris, project, joiner, Role(request.role), now)
    await session.flush()
    return request


async def _parties(session: AsyncSession, request: TeamRequest) -> tuple[Actor, Actor]:
    project = await session.get(Actor, request.project_id)
    actor = await session.get(Actor, request.actor_id)
    if project is None or actor is None or project.deleted_at or actor.deleted_at:
        raise NotFound("the request's project or person no longer exists")
    return project, actor


async def invite(
    session: AsyncSession,
    uris: NodeUris,
    project: Actor,
    inviter: Actor | None,
    invitee: Actor,
    role: Role,
    now: datetime,
) -> TeamRequest:
    """One of our projects invites someone (of any node) with a role, in the name of
    `inviter` (None: the node's admin). Who may invite is the caller's to check."""
    if await team_row(session, project, invitee) is not None:
        raise Conflict(f"{invitee.uri} is in the team of {project.username!r} already")
    if await pending_request(session, INVITE, project, invitee) is not None:
        raise Conflict(f"{invitee.uri} is invited to {project.username!r} already")
    if invitee.local:
        uri = uris.activity(new_token(now))
        data = {"project": project.uri, "role": role.value}
        await notify(session, invitee.id, INVITATION, uri, data, now)
    else:
        sent = await publish(
            session, uris, project, "Invite", obj=project.uri, to=[invitee.uri], now=now,
            extra={"@context": TEAM_CONTEXT, "target": invitee.uri, "smartRole": role.value},
        )  # fmt: skip
        uri = sent.uri
    request = new_request(uri, INVITE, project, invitee, inviter, role, now)
    session.add(request)
    await session.flush()
    return request


async def answer_invitation(
    session: AsyncSession, uris: NodeUris, request: TeamRequest, accept: bool, now: datetime
) -> TeamRequest:
    """The invitee answers: our project adds them; a remote project is sent Accept/Reject."""
    if request.kind != INVITE or request.state != PENDING:
        raise Conflict(f"this invitation is {request.state}, not pending")
    project, invitee = await _parties(session, request)
    request.state, request.answered_at = (ACCEPTED if accept else REJECTED), now
    if project.local:
        if accept:
            await add_member(session, uris, project, invitee, Role(request.role), now)
    else:
        kind = "Accept" if accept else "Reject"
        invite_doc = {"id": request.uri, "type": "Invite", "object": project.uri,
                      "target": invitee.uri}  # fmt: skip
        await publish(session, uris, invitee, kind, obj=invite_doc, to=[project.uri], now=now,
                      extra={"@context": TEAM_CONTEXT})  # fmt: skip
    await session.flush()
    return request


async def join_remote(
    session: AsyncSession, uris: NodeUris, project: Actor, member: Actor, now: datetime
) -> TeamRequest:
    """Our member asks to join a remote project: Join sent, a pending request kept."""
    if project.local:
        raise Conflict("ask a coordinator of this node's project to add you instead")
    if project.ap_type != "Group":
        raise NotFound(f"{project.uri} is not a project (Group)")
    if await team_row(session, project, member) is not None:
        raise Conflict(f"you are in the team of {project.uri} already")
    found = await pending_request(session, JOIN, project, member)
    if found is not None:
        return found
    sent = await publish(session, uris, member, "Join", obj=project.uri, to=[project.uri],
                         now=now, extra={"@context": TEAM_CONTEXT})  # fmt: skip
    request = new_request(sent.uri, JOIN, project, member, None, Role.MEMBER, now)
    session.add(request)
    await session.flush()
    return request


async def leave(
    session: AsyncSession, uris: NodeUris, project: Actor, member: Actor, now: datetime
) -> None:
    """A member leaves a team: our project publishes Remove; a remote one is sent Leave."""
    row = await team_row(session, project, member)
    if row is None:
        raise NotFound(f"you are not in the team of {project.uri}")
    if project.local:
        await leave_local(session, uris, project, member, now)
        return
    await session.delete(row)
    await session.flush()
    await publish(session, uris, member, "Leave", obj=project.uri, to=[project.uri], now=now,
                  extra={"@context": TEAM_CONTEXT})  # fmt: skip


async def leave_local(
    session: AsyncSession, uris: NodeUris, project: Actor, member: Actor, now: datetime
) -> None:
    """Someone leaves one of our projects. Leaving is always allowed, even for the last
    coordinator: then the project's remaining local members are told to appoint one."""
    await remove_member(session, uris, project, member, now)
    if await coordinators(session, project):
        return
    rows = await session.scalars(
        select(Actor)
        .join(ProjectMember, ProjectMember.member_id == Actor.id)
        .where(ProjectMember.project_id == project.id, Actor.local.is_(True))
    )
    for actor in rows.all():
        await notify(session, actor.id, NO_COORDINATOR, project.uri, {"left": member.uri}, now)


async def change_role(
    session: AsyncSession, uris: NodeUris, project: Actor, member: Actor, role: Role,
    now: datetime,
) -> ProjectMember:  # fmt: skip
    """A coordinator sets a team member's role: the Add is published again with the new role.
    The last coordinator cannot step down (Conflict)."""
    row = await team_row(session, project, member)
    if row is None:
        raise NotFound(f"{member.uri} is not in the team of {project.username!r}")
    await set_team_role(session, project, member, role, now)
    return await add_member(session, uris, project, member, role, now)


async def expel(
    session: AsyncSession, uris: NodeUris, project: Actor, member: Actor, now: datetime
) -> None:
    """A coordinator removes a team member; the last coordinator cannot be removed (Conflict)."""
    row = await team_row(session, project, member)
    if row is not None and row.role == Role.COORDINATOR.value:
        await keep_a_coordinator(session, project, member)
    await remove_member(session, uris, project, member, now)
