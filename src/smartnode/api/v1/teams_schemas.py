"""Bodies and answers of the teams API (/api/smart/v1/projects/…/invitations, /invitations,
/teams)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartnode.actors.handles import handle_of
from smartnode.actors.projects import Role
from smartnode.api.v1.schemas import ErrorOut, TeamMemberOut
from smartnode.storage.models import Actor
from smartnode.storage.models_work import TeamRequest

_DESCRIBED = {
    401: "Missing or invalid token (send `Authorization: Bearer <token>`).",
    403: "Only a coordinator of the project (or an admin) may do this, an app needs the "
    "`write:projects` scope, an admin token speaking for nobody needs `?as=username`.",
    404: "No such project, person, request or invitation.",
    409: "Conflicts with the current state (in the team already, last coordinator).",
    410: "The project was deleted.",
    422: "Invalid input; `error` names the field.",
    502: "The other node failed; try again later.",
}


def team_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422."""
    return {s: {"model": ErrorOut, "description": _DESCRIBED[s]} for s in sorted({*statuses, 422})}


ActorRef = Field(
    min_length=1, max_length=2048, description="`@user@host`, `user@host` or an actor URL."
)


class InvitationIn(BaseModel):
    """Whom a coordinator invites, and with which role."""

    model_config = ConfigDict(extra="forbid")

    actor: str = ActorRef
    role: Role = Role.MEMBER


class MemberRoleIn(BaseModel):
    """A team member (of any node) and their new role."""

    model_config = ConfigDict(extra="forbid")

    actor: str = ActorRef
    role: Role


class ProjectRefIn(BaseModel):
    """A project of any node: `@slug@host` or its actor URL."""

    model_config = ConfigDict(extra="forbid")

    project: str = ActorRef


class TeamRequestOut(BaseModel):
    """A Join (someone asks to enter a team) or an Invite (a project asks them)."""

    id: int
    kind: str
    project: str
    project_handle: str = Field(description="`@slug@domain` of the project.")
    actor: str
    actor_handle: str = Field(description="`@user@domain` of the person (port kept).")
    role: Role
    state: str
    created_at: datetime


class TeamRequestList(BaseModel):
    items: list[TeamRequestOut]


class TeamOut(BaseModel):
    """A project's team as this node knows it (a remote project's as it told us)."""

    project: str
    local: bool
    team: list[TeamMemberOut]


def request_out(row: TeamRequest, project: Actor, actor: Actor, domain: str) -> TeamRequestOut:
    """`domain` is this node's handle domain (SMARTNODE_DOMAIN)."""
    return TeamRequestOut(
        id=row.id,
        kind=row.kind,
        project=project.uri,
        project_handle=handle_of(project, domain),
        actor=actor.uri,
        actor_handle=handle_of(actor, domain),
        role=Role(row.role),
        state=row.state,
        created_at=row.created_at,
    )
