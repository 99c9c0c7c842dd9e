"""FEP-1b12: a project (Group) relays its team members' public posts to its followers, and
then their edits and deletions.

Interop: two Announces per post. Announce{object: the Create activity} is what group-aware
servers (Lemmy, Mobilizon, our peers) expect from FEP-1b12; Announce{object: the Note id} is
the boost Mastodon understands (it ignores Announces of activities). Receivers must refetch
an embedded object from its own origin; we embed the Create as its author's server sent it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import team_row
from smartnode.content.audience import PUBLIC_SPELLINGS
from smartnode.content.inputs import Visibility
from smartnode.content.notes_to_ap import CONTENT_CONTEXT
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import PUBLIC, id_of
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor, ContentObject


def _followers(project: Actor) -> str:
    return project.followers_uri or NodeUris.collection(project.uri, "followers")


async def relay_post(
    session: AsyncSession, uris: NodeUris, project: Actor, create: dict[str, Any], now: datetime
) -> tuple[Activity, Activity]:
    """The project announces a member's Create (FEP-1b12) and its Note (a Mastodon boost)."""
    inner = {key: value for key, value in create.items() if key != "@context"}
    note_id = id_of(inner.get("object"))
    if note_id is None:
        raise ValueError("a relayed Create names its object")
    audience: dict[str, Any] = {"to": [PUBLIC], "cc": [_followers(project)], "now": now}
    group = await publish(
        session, uris, project, "Announce", obj=inner, extra={"@context": CONTENT_CONTEXT},
        **audience,
    )  # fmt: skip
    boost = await publish(session, uris, project, "Announce", obj=note_id, **audience)
    return group, boost


async def relay_change(
    session: AsyncSession, uris: NodeUris, project: Actor, change: dict[str, Any], now: datetime
) -> Activity:
    """The project announces a member's Update or Delete of a post it relayed (FEP-1b12)."""
    inner = {key: value for key, value in change.items() if key != "@context"}
    return await publish(
        session, uris, project, "Announce", obj=inner, to=[PUBLIC], cc=[_followers(project)],
        now=now, extra={"@context": CONTENT_CONTEXT},
    )  # fmt: skip


async def relaying_projects(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, author: Actor
) -> list[Actor]:
    """Our projects that relay this public post of one of their team members."""
    if obj.visibility != Visibility.PUBLIC.value:
        return []
    to, cc = list(obj.audience.get("to", [])), list(obj.audience.get("cc", []))
    named = {uri.removesuffix("/followers") for uri in [*to, *cc] if uris.parse_actor(uri)}
    ids = [obj.project_id] if obj.project_id is not None else []
    query = select(Actor).where(Actor.local.is_(True), Actor.kind == "project")
    found = await session.scalars(query.where(or_(Actor.uri.in_(named), Actor.id.in_(ids))))
    projects = []
    for project in found.all():
        named_here = project.id in ids or addressed_to(project, to, cc)
        if project.id != author.id and named_here and await relays(session, project, author):
            projects.append(project)
    return projects


def addressed_to(project: Actor, to: list[str], cc: list[str]) -> bool:
    """True when a post's to/cc names the project or its followers."""
    named = {*to, *cc}
    return project.uri in named or _followers(project) in named


def is_public(to: list[str], cc: list[str]) -> bool:
    return bool(PUBLIC_SPELLINGS & {*to, *cc})


async def relays(session: AsyncSession, project: Actor, author: Actor) -> bool:
    """Only posts by the project's team members are relayed."""
    return project.local and await team_row(session, project, author) is not None
