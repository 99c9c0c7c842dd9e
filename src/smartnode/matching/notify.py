"""When a call arrives (ours or another node's), match it against this node's OWN opted-in
members and notify the best few. Runs as a worker job so that neither the API nor the inbox
waits for it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.call_terms import CallTerms, call_terms
from smartnode.content.notices import notify
from smartnode.content.terms import CALL
from smartnode.federation.uris import NodeUris
from smartnode.matching.candidates import load_candidates, load_facts
from smartnode.matching.score import Match, Need, Place, Wanted
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.matching.semantic import ranked
from smartnode.storage.commit_jobs import job_at_commit
from smartnode.storage.models import ContentObject
from smartnode.storage.models_profiles import ProjectMember

MATCH_CALL = "match_call"
CALL_MATCH = "call_match"  # the notification's kind
#: Members notified per call, and the least score that is worth a notification.
TOP, THRESHOLD = 5, 0.5
#: The level a call's working language needs when it names none.
CALL_LANGUAGE_LEVEL = "B1"


def enqueue_call_matching(session: AsyncSession, call: ContentObject, now: datetime) -> None:
    """Schedule the matching of one call (its job is written when the caller commits)."""
    job_at_commit(session, MATCH_CALL, call, "call_id", now)


# ---------------------------------------------------------------- a call as a need


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _wanted(terms: CallTerms) -> tuple[tuple[Wanted, ...], tuple[Wanted, ...]]:
    """(required, optional): a skill is optional unless the call marks it required."""
    required = tuple(Wanted(s.uri, s.level) for s in terms.skills if s.required)
    optional = tuple(Wanted(s.uri, s.level) for s in terms.skills if not s.required)
    return required, optional


def _place(terms: CallTerms) -> Place | None:
    country = terms.country or ""
    if terms.latitude is not None and terms.longitude is not None:
        return Place(terms.latitude, terms.longitude, country)
    return Place(country=country) if country else None


def need_from_call(call: ContentObject) -> Need:
    """A call's terms (call_terms) and period as a need."""
    terms = call_terms(call)
    required, optional = _wanted(terms)
    languages = tuple((code, level or CALL_LANGUAGE_LEVEL) for code, level in terms.languages)
    return Need(
        required=required, optional=optional, occupation=terms.occupation,
        languages=tuple(dict.fromkeys(languages)),
        starts_on=_day(call.starts_at) or terms.starts_on,
        ends_on=_day(call.ends_at) or terms.ends_on,
        place=None if terms.remote else _place(terms), remote=terms.remote,
        text=" ".join(filter(None, [call.name, call.summary, call.content])),
    )  # fmt: skip


async def call_team(session: AsyncSession, call: ContentObject) -> set[int]:
    """The call's author and its project's team: never candidates for their own call."""
    project = call.project_id or call.actor_id
    team = await session.scalars(
        select(ProjectMember.member_id).where(ProjectMember.project_id == project)
    )
    return {call.actor_id, project, *team}


async def match_call(
    session: AsyncSession, uris: NodeUris, call: ContentObject, *, opt_in: str, limit: int,
    threshold: float = 0.0, semantic: SemanticSearch | None = None,
) -> list[Match]:  # fmt: skip
    """The best opted-in local members for a call (its own team left out); with `semantic`,
    ordered with their stored descriptions' similarity too (semantic.py)."""
    need = need_from_call(call)
    facts = await load_facts(session, [w.uri for w, _ in need.wanted()])
    pool = await load_candidates(
        session, need, facts, uris.domain, opt_in="listed" if opt_in == "listed" else "suggestions",
        exclude=await call_team(session, call),
    )  # fmt: skip
    return await ranked(
        session, need, pool, facts, limit=limit, threshold=threshold, semantic=semantic
    )


def is_open(call: ContentObject, now: datetime) -> bool:
    """A live call that still takes applications."""
    return call.kind == CALL and call.deleted_at is None and call_terms(call).is_open(now)


async def run_call_matching(
    session: AsyncSession, uris: NodeUris, call_id: int, now: datetime,
    semantic: SemanticSearch | None = None,
) -> int:  # fmt: skip
    """Notify the best-matching opted-in local members of a call; how many were notified."""
    call = await session.get(ContentObject, call_id)
    if call is None or not is_open(call, now):
        return 0
    matches = await match_call(
        session, uris, call, opt_in="suggestions", limit=TOP, threshold=THRESHOLD,
        semantic=semantic,
    )  # fmt: skip
    notified = 0
    for found in matches:
        data = {"score": found.score, "parts": found.parts, "call": {"name": call.name}}
        notified += await notify(
            session, found.candidate.member_id, CALL_MATCH, call.uri, data, now
        )
    return notified
