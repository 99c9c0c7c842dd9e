"""Match-making as the native API and the apps use it: each use case takes the acting principal
(actors/acting.py decides). Only this node's members who opted in (listed) are ever shown.

A project's coordinators find candidates for the project or one of its calls; a member finds
people to learn from and teach. Reading candidates is a read of members' data: `read:accounts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_ACCOUNTS, acting_member, require_coordinator
from smartnode.actors.projects import get_project
from smartnode.content.calls import local_call
from smartnode.errors import NotFound
from smartnode.federation.uris import NodeUris
from smartnode.matching.candidates import (
    exchange_pool,
    labels_for,
    learner,
    load_candidates,
    load_facts,
)
from smartnode.matching.exchange import rank_exchanges
from smartnode.matching.explain import render, uris_of, viewer_language
from smartnode.matching.notify import match_call
from smartnode.matching.score import Need
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.matching.semantic import ranked
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import ProjectMember

Scored = tuple[int, float, dict[str, float], list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member who matches, with the score, its parts and the explanation in words."""

    actor: Actor
    score: float
    components: dict[str, float]
    parts: list[dict[str, Any]]
    explanation: str


async def _explained(
    session: AsyncSession, found: Sequence[Scored], language: str
) -> list[Candidate]:
    """Members with their scores and explanations (labels in `language`)."""
    ids = [member_id for member_id, *_ in found]
    actors = {a.id: a for a in await session.scalars(select(Actor).where(Actor.id.in_(ids)))}
    labels = await labels_for(session, uris_of([p for *_, parts in found for p in parts]), language)
    return [
        Candidate(actors[i], score, components, parts, render(parts, language, labels))
        for i, score, components, parts in found
    ]


async def _coordinated(session: AsyncSession, member: Actor, project: Actor) -> set[int]:
    """The project's team (never its own candidates); Forbidden unless `member` coordinates."""
    await require_coordinator(session, project, member)
    team = await session.scalars(
        select(ProjectMember.member_id).where(ProjectMember.project_id == project.id)
    )
    return {project.id, *team}


async def project_candidates(
    session: AsyncSession, domain: str, principal: Principal, slug: str, need: Need,
    *, limit: int, semantic: SemanticSearch | None, lang: str | None,
) -> list[Candidate]:  # fmt: skip
    """Listed members ranked for a need, for a coordinator of the project (team left out)."""
    member = await acting_member(session, principal, READ_ACCOUNTS)
    project, _ = await get_project(session, slug)
    team = await _coordinated(session, member, project)
    facts = await load_facts(session, [w.uri for w, _ in need.wanted()])
    pool = await load_candidates(session, need, facts, domain, opt_in="listed", exclude=team)
    matches = await ranked(session, need, pool, facts, limit=limit, semantic=semantic)
    found = [(m.candidate.member_id, m.score, m.components, m.parts) for m in matches]
    return await _explained(session, found, viewer_language(lang or member.language))


async def call_candidates(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str,
    *, limit: int, semantic: SemanticSearch | None, lang: str | None,
) -> list[Candidate]:  # fmt: skip
    """Listed members ranked against one of our calls, for a coordinator of its project."""
    member = await acting_member(session, principal, READ_ACCOUNTS)
    call = await local_call(session, uris, token)
    project = await session.get(Actor, call.project_id or call.actor_id)
    if project is None or project.kind != "project":
        raise NotFound("this call has no project on this node")
    await _coordinated(session, member, project)
    matches = await match_call(session, uris, call, opt_in="listed", limit=limit, semantic=semantic)
    found = [(m.candidate.member_id, m.score, m.components, m.parts) for m in matches]
    return await _explained(session, found, viewer_language(lang or member.language))


async def exchange_partners(
    session: AsyncSession, principal: Principal, *, limit: int, lang: str | None
) -> list[Candidate]:
    """Listed members who can teach what the acting member wants to learn and want to learn
    what they can teach, best two-way matches first."""
    member = await acting_member(session, principal, READ_ACCOUNTS)
    me = await learner(session, member.id)
    ranked = rank_exchanges(me, await exchange_pool(session, me), limit=limit)
    found = [(e.other.member_id, e.score, {"exchange": e.score}, e.parts) for e in ranked]
    return await _explained(session, found, viewer_language(lang or member.language))
