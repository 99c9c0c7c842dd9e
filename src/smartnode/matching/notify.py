"""When a call arrives (ours or another node's), match it against this node's OWN opted-in
members and notify the best few. Runs as a worker job so that neither the API nor the inbox
waits for it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.notices import notify
from smartnode.federation.uris import NodeUris
from smartnode.matching.candidates import load_candidates, load_facts
from smartnode.matching.rank import Reorder, rank
from smartnode.matching.score import Match, Need, Place, Wanted
from smartnode.storage.models import ContentObject, Job, ProjectMember

MATCH_CALL = "match_call"
CALL_MATCH = "call_match"  # the notification's kind
#: Members notified per call, and the least score that is worth a notification.
TOP, THRESHOLD = 5, 0.5
#: The level a call's working language needs when it names none.
CALL_LANGUAGE_LEVEL = "B1"


async def enqueue_call_matching(session: AsyncSession, call_id: int, now: datetime) -> None:
    """Schedule the matching of one call (in the caller's transaction)."""
    session.add(
        Job(kind=MATCH_CALL, payload={"call_id": call_id}, state="pending", run_at=now,
            attempts=0, created_at=now)
    )  # fmt: skip
    await session.flush()


# ---------------------------------------------------------------- a call as a need


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _skills(entries: Any) -> tuple[tuple[Wanted, ...], tuple[Wanted, ...]]:
    """(required, optional): an entry is a URI, or {uri, level?, required?}; plain = optional."""
    required: list[Wanted] = []
    optional: list[Wanted] = []
    for entry in entries if isinstance(entries, list) else []:
        item = entry if isinstance(entry, dict) else {"uri": entry}
        uri, level = item.get("uri"), item.get("level", 1)
        if not isinstance(uri, str) or not uri:
            continue
        wanted = Wanted(uri, level if isinstance(level, int) and 1 <= level <= 4 else 1)
        (required if item.get("required") is True else optional).append(wanted)
    return tuple(required), tuple(optional)


def _place(terms: dict[str, Any]) -> Place | None:
    where: dict[str, Any] = terms["place"] if isinstance(terms.get("place"), dict) else terms
    lat, lon, country = where.get("latitude"), where.get("longitude"), where.get("country")
    country = country.upper() if isinstance(country, str) else ""
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return Place(float(lat), float(lon), country)
    return Place(country=country) if country else None


def _languages(value: Any) -> tuple[tuple[str, str], ...]:
    found = []
    for entry in value if isinstance(value, list) else []:
        item = entry if isinstance(entry, dict) else {"language": entry}
        code, level = item.get("language"), item.get("level", CALL_LANGUAGE_LEVEL)
        if isinstance(code, str) and code:
            found.append((code.lower(), level if isinstance(level, str) else CALL_LANGUAGE_LEVEL))
    return tuple(dict.fromkeys(found))


def need_from_call(call: ContentObject) -> Need:
    """A call's terms (extra["call"], else extra itself) and period as a need."""
    extra: dict[str, Any] = call.extra or {}
    terms: dict[str, Any] = extra["call"] if isinstance(extra.get("call"), dict) else extra
    required, optional = _skills(terms.get("skills"))
    occupation = terms.get("occupation")
    remote = terms.get("remote") is True
    return Need(
        required=required, optional=optional,
        occupation=occupation if isinstance(occupation, str) and occupation else None,
        languages=_languages(terms.get("languages")),
        starts_on=_day(call.starts_at) or _day(terms.get("starts_on")),
        ends_on=_day(call.ends_at) or _day(terms.get("ends_on")),
        place=None if remote else _place(terms), remote=remote,
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
    threshold: float = 0.0, reorder: Reorder | None = None,
) -> list[Match]:  # fmt: skip
    """The best opted-in local members for a call (its own team left out)."""
    need = need_from_call(call)
    facts = await load_facts(session, [w.uri for w, _ in need.wanted()])
    pool = await load_candidates(
        session, need, facts, uris.domain, opt_in="listed" if opt_in == "listed" else "suggestions",
        exclude=await call_team(session, call),
    )  # fmt: skip
    return rank(need, pool, facts, limit=limit, threshold=threshold, reorder=reorder)


def is_open(call: ContentObject, now: datetime) -> bool:
    """A live call that still takes applications."""
    return (
        call.kind == "call"
        and call.deleted_at is None
        and call.state in (None, "open")
        and (call.closes_at is None or call.closes_at > now)
    )


async def run_call_matching(
    session: AsyncSession, uris: NodeUris, call_id: int, now: datetime,
    reorder: Reorder | None = None,
) -> int:  # fmt: skip
    """Notify the best-matching opted-in local members of a call; how many were notified."""
    call = await session.get(ContentObject, call_id)
    if call is None or not is_open(call, now):
        return 0
    matches = await match_call(
        session, uris, call, opt_in="suggestions", limit=TOP, threshold=THRESHOLD,
        reorder=reorder,
    )  # fmt: skip
    notified = 0
    for found in matches:
        data = {"score": found.score, "parts": found.parts, "call": {"name": call.name}}
        notified += await notify(
            session, found.candidate.member_id, CALL_MATCH, call.uri, data, now
        )
    return notified
