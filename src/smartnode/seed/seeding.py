"""Seed a node with a country's members (with matching profiles on curated ESCO skills),
projects, and the open calls and events of what this run created; existing names are left
alone (so their calls and events are not published twice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.members import create_member
from smartnode.actors.names import slugify
from smartnode.actors.projects import add_to_team, create_project
from smartnode.actors.records import find_local_actor, node_uris
from smartnode.config import Settings
from smartnode.federation.uris import ActorKind
from smartnode.matching.curated import load_seed
from smartnode.seed.catalog import SeedCountry, SeedProject, load_country
from smartnode.seed.content import publish_call, publish_event
from smartnode.seed.skills import seed_matching_profile
from smartnode.storage.models import Actor


@dataclass
class SeedReport:
    """What a seeding run created and what it left alone."""

    country: str
    members: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


async def has_members(session: AsyncSession) -> bool:
    """True when the node has any local member (deleted ones count: the node is in use)."""
    found = await session.scalar(
        select(Actor.id).where(Actor.local.is_(True), Actor.kind == ActorKind.MEMBER.value).limit(1)
    )
    return found is not None


async def seed_country(
    session: AsyncSession, settings: Settings, country: str, now: datetime
) -> SeedReport:
    """Create the country's seed members, projects and teams that do not exist yet, and the
    open calls and events of those this run created."""
    data = load_country(country)
    report = SeedReport(country=data.country)
    await load_seed(session, now)  # the curated ESCO concepts the members' skills point at
    for member in data.members:
        if await find_local_actor(session, member.username) is not None:
            report.skipped.append(member.username)
            continue
        actor = await create_member(session, settings, member, now)
        await seed_matching_profile(session, actor, member, now)
        report.members.append(member.username)
    for project in data.projects:
        slug = project.slug or slugify(project.name)
        coordinator = await _live_member(session, project.coordinator or "")
        if coordinator is None or await find_local_actor(session, slug) is not None:
            report.skipped.append(slug)
            continue
        actor = await create_project(session, settings, project, now)
        await _seat_team(session, actor, project, now)
        report.projects.append(slug)
    await _publish(session, settings, data, report, now)
    return report


async def _publish(
    session: AsyncSession, settings: Settings, data: SeedCountry, report: SeedReport, now: datetime
) -> None:
    """The calls and events of the members and projects this run created (their ids)."""
    uris = node_uris(settings)
    created = {*report.members, *report.projects}
    for call in data.calls:
        project = await find_local_actor(session, call.project)
        if call.project in report.projects and project is not None:
            report.calls.append((await publish_call(session, uris, project, call, now)).uri)
    for event in data.events:
        author = await find_local_actor(session, event.author)
        if event.author in created and author is not None:
            report.events.append((await publish_event(session, uris, author, event, now)).uri)


async def _live_member(session: AsyncSession, username: str) -> Actor | None:
    actor = await find_local_actor(session, username)
    if actor is None or actor.kind != ActorKind.MEMBER.value or actor.deleted_at is not None:
        return None
    return actor


async def _seat_team(
    session: AsyncSession, project: Actor, data: SeedProject, now: datetime
) -> None:
    for seat in data.team:
        member = await _live_member(session, seat.username)
        if member is not None:
            await add_to_team(session, project, member, seat.role, now)
