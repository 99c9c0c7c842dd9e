"""Members' matching profiles: skills, working languages, availability, place, reach, sectors and
opt-ins. Private to this node by default. Services never commit; the caller owns the
transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.errors import NotFound, ValidationFailed
from smartnode.matching.inputs import MatchingProfileInput, SkillEntry
from smartnode.matching.taxonomy import (
    get_local_skill,
    known_uris,
    local_label,
    local_skill_for_name,
    preferred_labels,
)
from smartnode.matching.terms import LEVELS, SkillTerm
from smartnode.storage.models import Actor, Base, table
from smartnode.storage.models_matching import (
    LocalSkill,
    MatchingProfile,
    MemberAvailability,
    MemberLanguage,
    MemberSkill,
    SkillConcept,
)
from smartnode.storage.models_profiles import MemberProfile


@dataclass(frozen=True, slots=True)
class SkillView:
    """A member's skill as shown back: label in the asked language where there is one."""

    label: str
    language: str
    kind: str  # skill | occupation | isco_group | skill_group | local
    level: int
    can_teach: bool
    wants_to_learn: bool
    uri: str | None = None
    slug: str | None = None
    same_as: str | None = None  # a local skill's ESCO equivalent

    @property
    def level_name(self) -> str:
        return LEVELS[self.level]


@dataclass
class ProfileView:
    """A member's whole matching profile."""

    skills: list[SkillView] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)
    availability: list[tuple[date, date]] = field(default_factory=list)
    country: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    remote_ok: bool = False
    travel_radius_km: int | None = None
    cross_border: bool = False
    sectors: list[str] = field(default_factory=list)
    listed: bool = False
    visible_to_nodes: bool = False
    suggestions: bool = False
    indexable: bool = False
    found_by_peers: bool = False


@dataclass(frozen=True, slots=True)
class _Resolved:
    entry: SkillEntry
    uri: str | None
    local_id: int | None


async def _resolve_skills(
    session: AsyncSession, entries: list[SkillEntry], language: str, now: datetime
) -> list[_Resolved]:
    """Entries → concept URIs or local skill ids; ValidationFailed for anything unknown."""
    uris = [e.uri for e in entries if e.uri]
    unknown = sorted(set(uris) - await known_uris(session, uris))
    if unknown:
        raise ValidationFailed(
            f"not in this node's taxonomy: {', '.join(unknown)} "
            "(load it with `smartnode seed-skills` or `smartnode import-esco`)"
        )
    resolved, seen = [], set()
    for entry in entries:
        local_id = None
        if entry.local is not None:
            try:
                local_id = (await get_local_skill(session, entry.local)).id
            except NotFound as exc:
                raise ValidationFailed(exc.message) from exc
        elif entry.name is not None:
            local_id = (await local_skill_for_name(session, entry.name, language, now)).id
        key = entry.uri or f"local:{local_id}"
        if key not in seen:
            seen.add(key)
            resolved.append(_Resolved(entry, entry.uri, local_id))
    return resolved


async def _matching_row(session: AsyncSession, actor: Actor, now: datetime) -> MatchingProfile:
    row = await session.get(MatchingProfile, actor.id)
    if row is None:
        row = MatchingProfile(actor_id=actor.id, sectors=[], updated_at=now)
        session.add(row)
    return row


async def _replace_rows(
    session: AsyncSession, actor: Actor, data: MatchingProfileInput, skills: list[_Resolved]
) -> None:
    for model in (MemberSkill, MemberLanguage, MemberAvailability):
        await session.execute(delete(model).where(model.member_id == actor.id))
    rows: list[tuple[type[Base], list[dict[str, Any]]]] = [
        (MemberSkill, [
            {"member_id": actor.id, "concept_uri": s.uri, "local_skill_id": s.local_id,
             "level": s.entry.level, "can_teach": s.entry.can_teach,
             "wants_to_learn": s.entry.wants_to_learn}
            for s in skills
        ]),
        (MemberLanguage, [
            {"member_id": actor.id, "language": e.language, "level": e.level}
            for e in data.languages
        ]),
        (MemberAvailability, [
            {"member_id": actor.id, "starts_on": w.starts_on, "ends_on": w.ends_on}
            for w in data.availability
        ]),
    ]  # fmt: skip
    for target, values in rows:
        if values:
            await session.execute(table(target).insert(), values)


async def set_matching_profile(
    session: AsyncSession, actor: Actor, data: MatchingProfileInput, now: datetime
) -> None:
    """Replace a member's matching profile; ValidationFailed for skills the taxonomy lacks."""
    skills = await _resolve_skills(session, data.skills, actor.language, now)
    await _replace_rows(session, actor, data, skills)
    row = await _matching_row(session, actor, now)
    if data.location is not None:
        profile = await session.get(MemberProfile, actor.id)
        if profile is not None:
            profile.country, profile.city = data.location.country, data.location.city
    row.latitude = data.location.latitude if data.location else None
    row.longitude = data.location.longitude if data.location else None
    row.remote_ok, row.cross_border = data.remote_ok, data.cross_border
    row.travel_radius_km = data.travel_radius_km
    row.sectors = list(data.sectors)
    row.visible_to_nodes, row.suggestions = data.opt_ins.visible_to_nodes, data.opt_ins.suggestions
    row.found_by_peers = data.opt_ins.found_by_peers
    row.updated_at = now
    actor.discoverable, actor.indexable = data.opt_ins.listed, data.opt_ins.indexable
    actor.updated_at = now
    await session.flush()


async def member_skills(session: AsyncSession, actor: Actor, language: str) -> list[SkillView]:
    """A member's skills, strongest first, labelled in `language` (else English, else any)."""
    rows = list(
        await session.execute(
            select(MemberSkill, SkillConcept.kind, LocalSkill)
            .outerjoin(SkillConcept, SkillConcept.uri == MemberSkill.concept_uri)
            .outerjoin(LocalSkill, LocalSkill.id == MemberSkill.local_skill_id)
            .where(MemberSkill.member_id == actor.id)
            .order_by(MemberSkill.level.desc(), MemberSkill.id)
            .execution_options(populate_existing=True)
        )
    )
    uris = [skill.concept_uri for skill, _, _ in rows if skill.concept_uri]
    labels = await preferred_labels(session, uris, language)
    views = []
    for skill, kind, local in rows:
        if local is not None:
            label, lang = local_label(local, language)
            uri, slug, kind, same_as = None, local.slug, "local", local.same_as_uri
        else:
            label, lang, _ = labels.get(skill.concept_uri, (skill.concept_uri, language, ""))
            uri, slug, same_as = skill.concept_uri, None, None
        views.append(
            SkillView(label=label, language=lang, kind=kind, level=skill.level,
                      can_teach=skill.can_teach, wants_to_learn=skill.wants_to_learn,
                      uri=uri, slug=slug, same_as=same_as)
        )  # fmt: skip
    return views


async def matching_profile(session: AsyncSession, actor: Actor, language: str) -> ProfileView:
    """A member's matching profile as the member (or an admin) sees it."""
    view = ProfileView(skills=await member_skills(session, actor, language))
    languages = await session.execute(
        select(MemberLanguage.language, MemberLanguage.level)
        .where(MemberLanguage.member_id == actor.id)
        .order_by(MemberLanguage.language)
    )
    view.languages = [(lang, level) for lang, level in languages]
    windows = await session.execute(
        select(MemberAvailability.starts_on, MemberAvailability.ends_on)
        .where(MemberAvailability.member_id == actor.id)
        .order_by(MemberAvailability.starts_on, MemberAvailability.id)
    )
    view.availability = [(start, end) for start, end in windows]
    profile = await session.get(MemberProfile, actor.id)
    if profile is not None:
        view.country, view.city = profile.country, profile.city
    row = await session.get(MatchingProfile, actor.id)
    if row is not None:
        view.latitude, view.longitude = row.latitude, row.longitude
        view.remote_ok, view.cross_border = row.remote_ok, row.cross_border
        view.travel_radius_km, view.sectors = row.travel_radius_km, list(row.sectors)
        view.visible_to_nodes, view.suggestions = row.visible_to_nodes, row.suggestions
        view.found_by_peers = row.found_by_peers
    view.listed, view.indexable = actor.discoverable, actor.indexable
    return view


async def skill_terms(session: AsyncSession, actor: Actor) -> list[SkillTerm]:
    """The skills other nodes may see on the actor: none unless the member opted in."""
    row = await session.get(MatchingProfile, actor.id)
    if row is None or not row.visible_to_nodes:
        return []
    return [
        SkillTerm(name=skill.label, uri=skill.uri, slug=skill.slug, same_as=skill.same_as)
        for skill in await member_skills(session, actor, actor.language)
    ]
