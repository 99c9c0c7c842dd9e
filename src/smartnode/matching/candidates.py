"""Loading this node's OWN opted-in members as candidates for a need, in bulk.

The hard filters that SQL can apply run there (required skills, required languages, some
availability in the period, some relevant skill); only that pool is loaded, in a handful of
queries per chunk, and scored in Python. Remote actors are never candidates: each node matches
its own members, and nothing about them leaves the node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.matching.exchange import Learner
from smartnode.matching.explain import Labels
from smartnode.matching.score import Candidate, Facts, Need, Place, cefr_rank
from smartnode.matching.taxonomy import preferred_labels
from smartnode.matching.terms import CEFR
from smartnode.storage.models import Actor
from smartnode.storage.models_matching import (
    LocalSkill,
    MatchingProfile,
    MemberAvailability,
    MemberLanguage,
    MemberSkill,
    OccupationSkill,
    SkillBroader,
)
from smartnode.storage.models_profiles import MemberProfile

#: `listed` (the actor's discoverable: browsing) or `suggestions` (notified of calls).
OptIn = Literal["listed", "suggestions"]
#: At most this many members are scored for one need (a need that filters nothing).
MAX_POOL = 10_000
#: Members loaded per round of bulk queries.
CHUNK = 1_000


# ---------------------------------------------------------------- taxonomy facts


async def load_facts(session: AsyncSession, uris: Collection[str]) -> Facts:
    """Siblings (a shared broader concept), what implies each concept (the occupations a skill
    is essential to; an occupation's essential skills), how many members hold each, and how
    many members have any skill."""
    wanted = set(uris)
    if not wanted:
        return Facts()
    other = SkillBroader.__table__.alias("other")
    siblings: dict[str, set[str]] = defaultdict(set)
    rows = await session.execute(
        select(SkillBroader.concept_uri, other.c.concept_uri)
        .join(other, other.c.broader_uri == SkillBroader.broader_uri)
        .where(
            SkillBroader.concept_uri.in_(sorted(wanted)),
            other.c.concept_uri != SkillBroader.concept_uri,
        )
    )
    for uri, sibling in rows:
        siblings[uri].add(sibling)
    implied: dict[str, set[str]] = defaultdict(set)
    rows = await session.execute(
        select(OccupationSkill.skill_uri, OccupationSkill.occupation_uri).where(
            or_(
                OccupationSkill.skill_uri.in_(sorted(wanted)),
                OccupationSkill.occupation_uri.in_(sorted(wanted)),
            ),
            OccupationSkill.relation == "essential",
        )
    )
    for uri, occupation in rows:  # both ways: a skill by its occupations, and the reverse
        if uri in wanted:
            implied[uri].add(occupation)
        if occupation in wanted:
            implied[occupation].add(uri)
    held = await session.execute(
        select(MemberSkill.concept_uri, func.count())
        .where(MemberSkill.concept_uri.in_(sorted(wanted)))
        .group_by(MemberSkill.concept_uri)
    )
    population = await session.scalar(select(func.count(func.distinct(MemberSkill.member_id))))
    return Facts(
        siblings={u: frozenset(s) for u, s in siblings.items()},
        implied_by={u: frozenset(o) for u, o in implied.items()},
        holders={str(u): int(n) for u, n in held},
        population=int(population or 0),
    )


# ---------------------------------------------------------------- the pool (SQL filters)


def _holding(uris: Iterable[str]) -> Select[int]:
    """Members holding any of these concepts (an ESCO skill, or a local skill sameAs one)."""
    found = sorted(set(uris))
    return (
        select(MemberSkill.member_id)
        .outerjoin(LocalSkill, LocalSkill.id == MemberSkill.local_skill_id)
        .where(or_(MemberSkill.concept_uri.in_(found), LocalSkill.same_as_uri.in_(found)))
    )


def _opted_in(opt_in: OptIn, exclude: Collection[int]) -> Select[int]:
    """Live local members who opted in (listed, or to suggestions), the excluded left out."""
    query = select(Actor.id).where(
        Actor.local.is_(True), Actor.kind == "member", Actor.deleted_at.is_(None)
    )
    if opt_in == "listed":
        query = query.where(Actor.discoverable.is_(True))
    else:
        query = query.join(MatchingProfile, MatchingProfile.actor_id == Actor.id).where(
            MatchingProfile.suggestions.is_(True)
        )
    return query.where(Actor.id.not_in(sorted(exclude))) if exclude else query


def _need_filters(need: Need, facts: Facts) -> list[ColumnElement[bool]]:
    """What SQL checks of a need: required skills (or an implying occupation), some relevant
    concept when nothing is required, languages at their level, a day in the period."""
    found: list[ColumnElement[bool]] = [
        Actor.id.in_(_holding({w.uri, *facts.implied_by.get(w.uri, ())})) for w in need.required
    ]
    relevant = {w.uri for w, _ in need.wanted()}
    for uri in list(relevant):
        relevant |= facts.implied_by.get(uri, frozenset()) | facts.siblings.get(uri, frozenset())
    if relevant and not need.required:
        found.append(Actor.id.in_(_holding(relevant)))
    for code, minimum in need.languages:
        levels = list(CEFR[max(0, cefr_rank(minimum)) :])
        speakers = select(MemberLanguage.member_id).where(
            MemberLanguage.language == code, MemberLanguage.level.in_(levels)
        )
        found.append(Actor.id.in_(speakers))
    period = need.period()
    if period is not None:
        available = select(MemberAvailability.member_id).where(
            MemberAvailability.starts_on <= period[1], MemberAvailability.ends_on >= period[0]
        )
        found.append(Actor.id.in_(available))
    return found


def pool_query(need: Need, facts: Facts, opt_in: OptIn, exclude: Collection[int]) -> Select[int]:
    """Ids of live local members who opted in and pass the filters SQL can apply."""
    query = _opted_in(opt_in, exclude).where(*_need_filters(need, facts))
    return query.order_by(Actor.id).limit(MAX_POOL)


# ---------------------------------------------------------------- bulk loading


async def _profiles(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = await session.execute(
        select(Actor.id, Actor.summary, MemberProfile.country, MemberProfile.skills,
               MatchingProfile.latitude, MatchingProfile.longitude, MatchingProfile.remote_ok,
               MatchingProfile.travel_radius_km, MatchingProfile.cross_border,
               MatchingProfile.sectors)
        .outerjoin(MemberProfile, MemberProfile.actor_id == Actor.id)
        .outerjoin(MatchingProfile, MatchingProfile.actor_id == Actor.id)
        .where(Actor.id.in_(ids))
    )  # fmt: skip
    found = {}
    for member_id, summary, country, tags, lat, lon, remote, radius, border, sectors in rows:
        found[member_id] = {
            "place": Place(lat, lon, (country or "").upper()),
            "remote_ok": bool(remote), "travel_radius_km": radius, "cross_border": bool(border),
            "sectors": tuple(sectors or ()), "text": " ".join([summary or "", *(tags or [])]),
        }  # fmt: skip
    return found


async def skills_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """member id → concept URI → level (a local skill counts as its sameAs concept)."""
    rows = await session.execute(
        select(MemberSkill.member_id, MemberSkill.concept_uri, LocalSkill.same_as_uri,
               MemberSkill.level)
        .outerjoin(LocalSkill, LocalSkill.id == MemberSkill.local_skill_id)
        .where(MemberSkill.member_id.in_(ids))
    )  # fmt: skip
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for member_id, uri, same_as, level in rows:
        concept = uri or same_as
        if concept:
            found[member_id][concept] = max(level, found[member_id].get(concept, 0))
    return found


async def languages_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    rows = await session.execute(
        select(MemberLanguage.member_id, MemberLanguage.language, MemberLanguage.level).where(
            MemberLanguage.member_id.in_(ids)
        )
    )
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for member_id, language, level in rows:
        found[member_id][language] = level
    return found


async def _chunk(session: AsyncSession, ids: Sequence[int], node: str) -> list[Candidate]:
    profiles = await _profiles(session, ids)
    skills, languages = await skills_of(session, ids), await languages_of(session, ids)
    windows: dict[int, list[Any]] = defaultdict(list)
    rows = await session.execute(
        select(MemberAvailability.member_id, MemberAvailability.starts_on,
               MemberAvailability.ends_on).where(MemberAvailability.member_id.in_(ids))
    )  # fmt: skip
    for member_id, start, end in rows:
        windows[member_id].append((start, end))
    return [
        Candidate(member_id=i, node=node, skills=skills.get(i, {}),
                  languages=languages.get(i, {}), windows=tuple(windows.get(i, ())),
                  **profiles[i])
        for i in ids if i in profiles
    ]  # fmt: skip


async def load_candidates(
    session: AsyncSession,
    need: Need,
    facts: Facts,
    node: str,
    *,
    opt_in: OptIn,
    exclude: Collection[int] = (),
) -> list[Candidate]:
    """This node's opted-in members passing the SQL filters, ready to be scored."""
    ids = list(await session.scalars(pool_query(need, facts, opt_in, exclude)))
    found: list[Candidate] = []
    for start in range(0, len(ids), CHUNK):
        found += await _chunk(session, ids[start : start + CHUNK], node)
    return found


async def labels_for(session: AsyncSession, uris: Iterable[str], language: str) -> Labels:
    """Labels of concepts in `language` (else English, else any) for explanations."""
    found = await preferred_labels(session, uris, language)
    return {uri: {language: text} for uri, (text, _, _) in found.items()}


# ---------------------------------------------------------------- peer-to-peer exchange


async def _learners(session: AsyncSession, ids: Sequence[int]) -> list[Learner]:
    rows = await session.execute(
        select(MemberSkill.member_id, MemberSkill.concept_uri, LocalSkill.same_as_uri,
               MemberSkill.level, MemberSkill.can_teach, MemberSkill.wants_to_learn)
        .outerjoin(LocalSkill, LocalSkill.id == MemberSkill.local_skill_id)
        .where(MemberSkill.member_id.in_(ids))
        .where(or_(MemberSkill.can_teach.is_(True), MemberSkill.wants_to_learn.is_(True)))
    )  # fmt: skip
    teaches: dict[int, dict[str, int]] = defaultdict(dict)
    learns: dict[int, set[str]] = defaultdict(set)
    for member_id, uri, same_as, level, can_teach, wants in rows:
        concept = uri or same_as
        if concept and can_teach:
            teaches[member_id][concept] = level
        if concept and wants:
            learns[member_id].add(concept)
    languages = await languages_of(session, ids)
    return [
        Learner(i, teaches.get(i, {}), frozenset(learns.get(i, ())), languages.get(i, {}))
        for i in ids
    ]


async def learner(session: AsyncSession, member_id: int) -> Learner:
    """A member's side of an exchange: what they teach, want to learn and speak."""
    return (await _learners(session, [member_id]))[0]


def _skill_flag(uris: Iterable[str], flag: Any) -> Select[int]:
    found = sorted(set(uris))
    return (
        select(MemberSkill.member_id)
        .outerjoin(LocalSkill, LocalSkill.id == MemberSkill.local_skill_id)
        .where(flag.is_(True))
        .where(or_(MemberSkill.concept_uri.in_(found), LocalSkill.same_as_uri.in_(found)))
    )


async def exchange_pool(session: AsyncSession, me: Learner) -> list[Learner]:
    """Listed live local members who teach something I want to learn AND want to learn
    something I teach (SQL does the filtering)."""
    if not me.learns or not me.teaches:
        return []
    ids = list(
        await session.scalars(
            select(Actor.id)
            .where(Actor.local.is_(True), Actor.kind == "member", Actor.deleted_at.is_(None))
            .where(Actor.discoverable.is_(True), Actor.id != me.member_id)
            .where(Actor.id.in_(_skill_flag(me.learns, MemberSkill.can_teach)))
            .where(Actor.id.in_(_skill_flag(me.teaches, MemberSkill.wants_to_learn)))
            .order_by(Actor.id)
            .limit(MAX_POOL)
        )
    )
    found: list[Learner] = []
    for start in range(0, len(ids), CHUNK):
        found += await _learners(session, ids[start : start + CHUNK])
    return found
