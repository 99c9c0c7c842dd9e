"""Members as the native API, the CLI and the apps use them: each use case takes the acting
principal and decides with actors/acting.py. Services never commit.

Admins create and delete members and see e-mail addresses. A member edits their own profile
and matching profile (`write:accounts`; reading the matching profile needs `read:accounts`),
as an admin may; each change goes out as Update{Person}, as a profile change always did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_ACCOUNTS, WRITE_ACCOUNTS, acting_member, require_admin
from smartnode.actors.federate import publish_actor_delete, publish_actor_update
from smartnode.actors.inputs import MemberInput, MemberUpdate
from smartnode.actors.members import (
    create_member,
    delete_actor,
    get_member,
    list_members,
    update_member,
)
from smartnode.actors.projects import coordinated_alone
from smartnode.config import Settings
from smartnode.errors import Conflict, Forbidden, ValidationFailed
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.matching.inputs import (
    LanguageEntry,
    Location,
    MatchingProfileInput,
    OptIns,
    Sector,
    SkillEntry,
    StrictModel,
    Window,
)
from smartnode.matching.profiles import ProfileView, matching_profile, set_matching_profile
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile
from smartnode.validation_words import validation_message

Member = tuple[Actor, MemberProfile]


def sees_email(principal: Principal, actor: Actor) -> bool:
    """An admin sees every member's e-mail address; a member (or their app with
    `read:accounts`) sees their own."""
    if principal.is_admin:
        return True
    return principal.actor_id == actor.id and principal.allows(READ_ACCOUNTS)


async def member_page(
    session: AsyncSession, principal: Principal, *, limit: int, after_id: int | None
) -> Sequence[Member]:
    """Members oldest first: everyone for an admin, else those who opted in to be listed."""
    return await list_members(
        session, limit=limit, after_id=after_id, discoverable_only=not principal.is_admin
    )


async def add_member(
    session: AsyncSession, settings: Settings, principal: Principal, data: MemberInput,
    now: datetime,
) -> Member:  # fmt: skip
    """An admin creates a member (keys, profile)."""
    require_admin(principal)
    actor = await create_member(session, settings, data, now)
    return await get_member(session, actor.username)


async def _own(session: AsyncSession, principal: Principal, username: str, scope: str) -> Member:
    """The member `username`, when the caller is that member (within `scope`) or an admin;
    who calls is checked before the member is looked up."""
    acting = None if principal.is_admin else await acting_member(session, principal, scope)
    found = await get_member(session, username)
    if acting is not None and acting.id != found[0].id:
        raise Forbidden(f"only {found[0].username!r} or an admin may do this")
    return found


async def change_profile(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str,
    change: MemberUpdate, now: datetime,
) -> Member:  # fmt: skip
    """The member (or an admin) changes the profile; Update{Person} goes to the followers."""
    actor, _ = await _own(session, principal, username, WRITE_ACCOUNTS)
    await update_member(session, actor.username, change, now)
    found = await get_member(session, actor.username)
    await publish_actor_update(session, uris, found[0], now)
    return found


async def remove_member(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str, now: datetime
) -> None:
    """An admin deletes a member (410 from then on); refused while they are the only
    coordinator of a project."""
    require_admin(principal)
    actor, _ = await get_member(session, username)
    alone = await coordinated_alone(session, actor)
    if alone:
        raise Conflict(
            f"{actor.username!r} is the only coordinator of {', '.join(alone)}: "
            "make someone else coordinator (or delete the project) first"
        )
    await delete_actor(session, ActorKind.MEMBER, username, now)
    await publish_actor_delete(session, uris, actor, now)


# ---------------------------------------------------------------- matching profiles


class MatchingProfileChange(StrictModel):
    """A change to a matching profile: only the parts given are replaced (each whole)."""

    skills: list[SkillEntry] | None = Field(default=None, max_length=50)
    languages: list[LanguageEntry] | None = Field(default=None, max_length=20)
    availability: list[Window] | None = Field(default=None, max_length=20)
    location: Location | None = None
    remote_ok: bool | None = None
    travel_radius_km: int | None = Field(default=None, ge=0, le=20000)
    cross_border: bool | None = None
    sectors: list[Sector] | None = None
    opt_ins: OptIns | None = Field(default=None, description="All four opt-ins, as in a PUT.")


async def read_matching_profile(
    session: AsyncSession, principal: Principal, username: str, language: str | None
) -> tuple[Actor, ProfileView]:
    """The member's matching profile, to the member (`read:accounts`) or an admin."""
    actor, _ = await _own(session, principal, username, READ_ACCOUNTS)
    return actor, await matching_profile(session, actor, language or actor.language)


async def replace_matching_profile(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str,
    data: MatchingProfileInput, now: datetime,
) -> tuple[Actor, ProfileView]:  # fmt: skip
    """The member (or an admin) replaces the whole matching profile; Update{Person} follows."""
    actor, _ = await _own(session, principal, username, WRITE_ACCOUNTS)
    await set_matching_profile(session, actor, data, now)
    await publish_actor_update(session, uris, actor, now)
    return actor, await matching_profile(session, actor, actor.language)


async def change_matching_profile(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str,
    change: MatchingProfileChange, now: datetime,
) -> tuple[Actor, ProfileView]:  # fmt: skip
    """The member (or an admin) changes parts of the matching profile; the rest stays."""
    actor, _ = await _own(session, principal, username, WRITE_ACCOUNTS)
    await _merge_matching(session, actor, change, now)
    await publish_actor_update(session, uris, actor, now)
    return actor, await matching_profile(session, actor, actor.language)


async def change_whole_profile(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str,
    change: MemberUpdate, matching: MatchingProfileChange, now: datetime,
) -> Member:  # fmt: skip
    """The member (or an admin) changes the profile and parts of the matching profile at once
    (a profile form); one Update{Person} goes out."""
    actor, _ = await _own(session, principal, username, WRITE_ACCOUNTS)
    await update_member(session, actor.username, change, now)
    await _merge_matching(session, actor, matching, now)
    found = await get_member(session, actor.username)
    await publish_actor_update(session, uris, found[0], now)
    return found


async def _merge_matching(
    session: AsyncSession, actor: Actor, change: MatchingProfileChange, now: datetime
) -> None:
    """Replace the parts given in `change`; the rest of the stored matching profile stays."""
    current = profile_input(await matching_profile(session, actor, actor.language))
    merged = {**current, **change.model_dump(mode="json", exclude_unset=True)}
    try:
        data = MatchingProfileInput.model_validate(merged)
    except ValidationError as error:
        raise ValidationFailed(validation_message(error.errors(), whole="profile")) from None
    await set_matching_profile(session, actor, data, now)


def profile_input(view: ProfileView) -> dict[str, Any]:
    """A stored matching profile as the input that would set it again (pure)."""
    skills = [
        {**({"uri": s.uri} if s.uri else {"local": s.slug}), "level": s.level,
         "can_teach": s.can_teach, "wants_to_learn": s.wants_to_learn}
        for s in view.skills
    ]  # fmt: skip
    location = {"country": view.country, "city": view.city, "latitude": view.latitude,
                "longitude": view.longitude}  # fmt: skip
    opt_ins = {"listed": view.listed, "visible_to_nodes": view.visible_to_nodes,
               "suggestions": view.suggestions, "indexable": view.indexable,
               "found_by_peers": view.found_by_peers}  # fmt: skip
    return {
        "skills": skills,
        "languages": [{"language": code, "level": level} for code, level in view.languages],
        "availability": [
            {"starts_on": start.isoformat(), "ends_on": end.isoformat()}
            for start, end in view.availability
        ],
        "location": location,
        "remote_ok": view.remote_ok,
        "travel_radius_km": view.travel_radius_km,
        "cross_border": view.cross_border,
        "sectors": list(view.sectors),
        "opt_ins": opt_ins,
    }
