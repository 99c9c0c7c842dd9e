"""Members: create, change, delete, list. Services never commit; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.inputs import MemberInput, MemberUpdate
from smartnode.actors.records import get_local_actor, new_local_actor, set_images, set_summaries
from smartnode.config import Settings
from smartnode.federation.uris import ActorKind
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile


async def create_member(
    session: AsyncSession, settings: Settings, data: MemberInput, now: datetime
) -> Actor:
    """A new member with keys and profile; Conflict if the username is taken."""
    actor = await new_local_actor(
        session,
        settings,
        kind=ActorKind.MEMBER,
        username=data.username,
        name=data.name,
        summary=data.summary,
        summary_map=data.summary_map,
        language=data.language,
        now=now,
    )
    actor.icon_url = str(data.avatar_url) if data.avatar_url else None
    actor.image_url = str(data.header_url) if data.header_url else None
    actor.discoverable = data.discoverable
    actor.indexable = data.indexable
    actor.hide_network = data.hide_network
    actor.manually_approves_followers = data.manually_approves_followers
    session.add(
        MemberProfile(
            actor_id=actor.id,
            email=data.email,
            country=data.country,
            city=data.city,
            languages=list(dict.fromkeys(data.languages)),
            skills=list(dict.fromkeys(data.skills)),
            links=[{"name": link.name, "url": str(link.url)} for link in data.links],
        )
    )
    await session.flush()
    return actor


async def get_member(session: AsyncSession, username: str) -> tuple[Actor, MemberProfile]:
    """A live member and their profile (NotFound / Gone otherwise)."""
    actor = await get_local_actor(session, ActorKind.MEMBER, username)
    profile = await session.get(MemberProfile, actor.id)
    if profile is None:
        raise RuntimeError(f"member {username} has no profile row")
    return actor, profile


async def update_member(
    session: AsyncSession, username: str, change: MemberUpdate, now: datetime
) -> Actor:
    """Apply the given fields of `change` to a member's profile."""
    actor, profile = await get_member(session, username)
    given = change.model_dump(exclude_unset=True)
    if "name" in given and change.name is not None:
        actor.name = change.name
    if change.language is not None:
        actor.language = change.language
    if "summary" in given or "summary_map" in given:
        set_summaries(actor, change.summary, change.summary_map)
    set_images(actor, given)
    for flag in ("discoverable", "indexable", "hide_network", "manually_approves_followers"):
        if given.get(flag) is not None:
            setattr(actor, flag, given[flag])
    if change.country is not None:
        profile.country = change.country
    if change.city is not None:
        profile.city = change.city
    if change.languages is not None:
        profile.languages = list(dict.fromkeys(change.languages))
    if change.skills is not None:
        profile.skills = list(dict.fromkeys(change.skills))
    if change.links is not None:
        profile.links = [{"name": link.name, "url": str(link.url)} for link in change.links]
    actor.updated_at = now
    return actor


async def delete_actor(
    session: AsyncSession, kind: ActorKind, username: str, now: datetime
) -> None:
    """Mark a member or project deleted: it answers 410 with a Tombstone from now on."""
    actor = await get_local_actor(session, kind, username)
    actor.deleted_at = now
    actor.updated_at = now


async def list_members(
    session: AsyncSession,
    *,
    limit: int,
    after_id: int | None = None,
    discoverable_only: bool = False,
) -> Sequence[tuple[Actor, MemberProfile]]:
    """Live members in creation order, keyset-paged by actor id (opted-in ones only if asked)."""
    query = (
        select(Actor, MemberProfile)
        .join(MemberProfile, MemberProfile.actor_id == Actor.id)
        .where(Actor.local.is_(True), Actor.deleted_at.is_(None))
        .order_by(Actor.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Actor.id > after_id)
    if discoverable_only:
        query = query.where(Actor.discoverable.is_(True))
    rows = await session.execute(query)
    return [(a, p) for a, p in rows.all()]
