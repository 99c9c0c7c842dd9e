"""Output models of the native API, and how rows become them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.main import IncEx

from smartnode.actors.handles import handle_of
from smartnode.actors.projects import Role
from smartnode.errors import ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile, Project, ProjectMember

#: Paging parameters shared by every list.
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
After = Annotated[str | None, Query(description="Cursor taken from the previous page's `next`.")]


class ErrorOut(BaseModel):
    """Every error answer: a message for people and a code for programs."""

    error: str = Field(examples=["no member named 'anna' on this node"])
    code: str = Field(examples=["not_found"])


class LinkOut(BaseModel):
    name: str
    url: str


class MemberOut(BaseModel):
    """A member's public profile; `email` appears only for admin callers."""

    username: str
    handle: str = Field(description="Fediverse handle, @user@domain.")
    actor_uri: str = Field(description="ActivityPub id of the Person.")
    url: str = Field(description="Profile page (the same URL, asked for as HTML).")
    name: str
    summary: str = Field(description="Bio as sanitised HTML, in the member's language.")
    summary_map: dict[str, str] = Field(description="Bio by language code, own language first.")
    language: str
    country: str
    city: str
    languages: list[str]
    skills: list[str]
    links: list[LinkOut]
    avatar_url: str | None
    header_url: str | None
    discoverable: bool = Field(description="Listed in directories.")
    indexable: bool = Field(description="Full-text searchable.")
    manually_approves_followers: bool
    created_at: datetime
    updated_at: datetime
    email: str | None = Field(default=None, description="Admin callers only; absent otherwise.")


class MemberPage(BaseModel):
    """One page of members; follow `next` for the rest."""

    items: list[MemberOut]
    next: str | None = Field(description="URL of the next page; null on the last page.")


class TeamMemberOut(BaseModel):
    """A member's place in a project's team."""

    username: str
    handle: str
    actor_uri: str
    name: str
    role: Role
    joined_at: datetime


class ProjectOut(BaseModel):
    """A project (its ActivityPub actor is a Group)."""

    slug: str
    handle: str
    actor_uri: str
    url: str
    name: str
    summary: str
    summary_map: dict[str, str]
    language: str
    country: str
    city: str
    sectors: list[str]
    website: str | None
    avatar_url: str | None
    header_url: str | None
    manually_approves_followers: bool
    created_at: datetime
    updated_at: datetime


class ProjectDetail(ProjectOut):
    """A project with its team, coordinators first."""

    team: list[TeamMemberOut]


class ProjectPage(BaseModel):
    """One page of projects; follow `next` for the rest."""

    items: list[ProjectOut]
    next: str | None


class RoleIn(BaseModel):
    """The role to give a member in a project's team."""

    model_config = ConfigDict(extra="forbid")

    role: Role


class SoftwareOut(BaseModel):
    name: str
    version: str


class CountsOut(BaseModel):
    members: int = Field(description="Live members (listed or not).")
    projects: int


class NodeOut(BaseModel):
    """This node: who runs it, where it is served, what runs it."""

    name: str
    description: str = Field(description="About the node, in its default language.")
    descriptions: dict[str, str] = Field(
        description="The description by language, the default language first."
    )
    domain: str = Field(description="Handle domain: members are @user@domain.")
    base_url: str
    actor_uri: str
    country: str
    software: SoftwareOut
    counts: CountsOut


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422 (every route has input)."""
    described = {
        401: "Missing or invalid admin token (send `Authorization: Bearer <token>`).",
        403: "The token may not do this (not an admin, not the member, or an app without the "
        "scope).",
        404: "No such member, project or team member.",
        409: "Conflicts with the current state (name taken, last coordinator).",
        410: "Deleted; the name is not reused.",
        422: "Invalid input; `error` names the field.",
    }
    return {s: {"model": ErrorOut, "description": described[s]} for s in sorted({*statuses, 422})}


def json_response(
    model: BaseModel,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    exclude: IncEx | None = None,
) -> Response:
    """Serialise a model once, in Rust (no intermediate dict, no second validation)."""
    return Response(
        content=model.model_dump_json(exclude=exclude),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def member_out(actor: Actor, profile: MemberProfile, uris: NodeUris) -> MemberOut:
    return MemberOut(
        username=actor.username,
        handle=handle_of(actor, uris.domain),
        actor_uri=actor.uri,
        url=actor.uri,
        name=actor.name,
        summary=actor.summary,
        summary_map=actor.summary_map,
        language=actor.language,
        country=profile.country,
        city=profile.city,
        languages=profile.languages,
        skills=profile.skills,
        links=[LinkOut(name=link["name"], url=link["url"]) for link in profile.links],
        avatar_url=actor.icon_url,
        header_url=actor.image_url,
        discoverable=actor.discoverable,
        indexable=actor.indexable,
        manually_approves_followers=actor.manually_approves_followers,
        created_at=actor.created_at,
        updated_at=actor.updated_at,
        email=profile.email,
    )


def _project_fields(actor: Actor, project: Project, uris: NodeUris) -> dict[str, Any]:
    return {
        "slug": actor.username,
        "handle": handle_of(actor, uris.domain),
        "actor_uri": actor.uri,
        "url": actor.uri,
        "name": actor.name,
        "summary": actor.summary,
        "summary_map": actor.summary_map,
        "language": actor.language,
        "country": project.country,
        "city": project.city,
        "sectors": project.sectors,
        "website": project.website,
        "avatar_url": actor.icon_url,
        "header_url": actor.image_url,
        "manually_approves_followers": actor.manually_approves_followers,
        "created_at": actor.created_at,
        "updated_at": actor.updated_at,
    }


def project_out(actor: Actor, project: Project, uris: NodeUris) -> ProjectOut:
    return ProjectOut(**_project_fields(actor, project, uris))


def team_member_out(row: ProjectMember, member: Actor, uris: NodeUris) -> TeamMemberOut:
    return TeamMemberOut(
        username=member.username,
        handle=handle_of(member, uris.domain),
        actor_uri=member.uri,
        name=member.name,
        role=Role(row.role),
        joined_at=row.joined_at,
    )


def project_detail(
    actor: Actor,
    project: Project,
    rows: list[tuple[ProjectMember, Actor]],
    uris: NodeUris,
) -> ProjectDetail:
    order = {role: i for i, role in enumerate(Role)}
    ranked = sorted(rows, key=lambda pair: (order[Role(pair[0].role)], pair[0].id))
    team = [team_member_out(row, member, uris) for row, member in ranked]
    return ProjectDetail(**_project_fields(actor, project, uris), team=team)


def parse_cursor(after: str | None) -> int | None:
    """The keyset position a `next` link carries (ValidationFailed if it is not one of ours)."""
    if after is None or after == "":
        return None
    if not after.isdigit() or len(after) > 19:
        raise ValidationFailed(f"after: {after!r} is not a cursor from a `next` link")
    return int(after)


def next_url(base_url: str, path: str, *, limit: int, last_id: int | None) -> str | None:
    """Absolute URL of the page after `last_id`, or None on the last page."""
    if last_id is None:
        return None
    return f"{base_url}{path}?{urlencode({'limit': limit, 'after': last_id})}"
