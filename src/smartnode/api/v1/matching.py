"""Match-making API: candidates for a project or one of its calls (its coordinators only) and
peer-to-peer exchange (a member for themselves). Only this node's members who opted in
(listed) are ever shown; explanations come in the viewer's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_of
from smartnode.actors.projects import get_project
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MemberDep
from smartnode.api.v1.matching_schemas import (
    CandidateOut,
    CandidatePage,
    Lang,
    Languages,
    Page,
    Uris,
    need_from_query,
    responses,
)
from smartnode.api.v1.schemas import errors, json_response
from smartnode.content.announcements import coordinates
from smartnode.content.calls import local_call
from smartnode.errors import Forbidden, NotFound
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
from smartnode.matching.rank import rank
from smartnode.matching.semantic import semantic_reorder
from smartnode.storage.models import Actor, ProjectMember

router = APIRouter(tags=["matching"], route_class=ChallengeRoute)

Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]
Token = Annotated[str, Path(max_length=64, description="The call's token.")]
Scored = tuple[int, float, dict[str, float], list[dict[str, Any]]]


async def _explained(
    session: AsyncSession, uris: NodeUris, found: Sequence[Scored], language: str
) -> CandidatePage:
    """Members with their scores and explanations (labels in `language`)."""
    ids = [member_id for member_id, *_ in found]
    actors = {a.id: a for a in await session.scalars(select(Actor).where(Actor.id.in_(ids)))}
    all_parts = [p for *_, parts in found for p in parts]
    labels = await labels_for(session, uris_of(all_parts), language)
    items = [
        CandidateOut(
            username=actors[i].username, handle=handle_of(actors[i], uris.domain),
            actor_uri=actors[i].uri, name=actors[i].name, score=score, components=components,
            explanation=render(parts, language, labels), parts=parts,
        )
        for i, score, components, parts in found
    ]  # fmt: skip
    return CandidatePage(items=items)


async def _coordinated(session: AsyncSession, member: Actor, project: Actor) -> set[int]:
    """The project's team (never its own candidates); Forbidden unless `member` coordinates."""
    if not await coordinates(session, member, project):
        raise Forbidden("only the project's coordinators see its candidates")
    team = await session.scalars(
        select(ProjectMember.member_id).where(ProjectMember.project_id == project.id)
    )
    return {project.id, *team}


@router.get(
    "/projects/{slug}/candidates",
    response_model=CandidatePage,
    summary="Find candidates for a project (its coordinators)",
    description="Listed members of this node ranked for the need given: `skill` (required: "
    "held, or implied by a held occupation), `optional` skills, `occupation`, `language` "
    "(`sv:C1`; B1 when no level), a period (`starts_on`, `ends_on`), a place (`latitude`, "
    "`longitude`, `country`) or `remote`, and words `q`. The project's team is left out.",
    responses=responses(401, 403, 404, 410),
)
async def project_candidates(
    slug: Slug,
    member: MemberDep,
    session: SessionDep,
    uris: UrisDep,
    settings: SettingsDep,
    skill: Uris = [],  # noqa: B006  (FastAPI copies defaults)
    optional: Uris = [],  # noqa: B006
    occupation: Annotated[str | None, Query(max_length=300)] = None,
    language: Languages = [],  # noqa: B006
    starts_on: date | None = None,
    ends_on: date | None = None,
    latitude: Annotated[float | None, Query(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Query(ge=-180, le=180)] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    remote: bool = False,
    q: Annotated[str | None, Query(max_length=500)] = None,
    limit: Page = 20,
    lang: Lang = None,
) -> Response:
    need = need_from_query(
        skill=skill, optional=optional, occupation=occupation, language=language,
        starts_on=starts_on, ends_on=ends_on, latitude=latitude, longitude=longitude,
        country=country, remote=remote, q=q,
    )  # fmt: skip
    reorder = semantic_reorder(settings.semantic_rerank)
    async with session.begin():
        project, _ = await get_project(session, slug)
        team = await _coordinated(session, member, project)
        facts = await load_facts(session, [w.uri for w, _ in need.wanted()])
        pool = await load_candidates(
            session, need, facts, uris.domain, opt_in="listed", exclude=team
        )
        found = [
            (m.candidate.member_id, m.score, m.components, m.parts)
            for m in rank(need, pool, facts, limit=limit, reorder=reorder)
        ]
        page = await _explained(session, uris, found, viewer_language(lang or member.language))
    return json_response(page)


@router.get(
    "/calls/{token}/candidates",
    response_model=CandidatePage,
    summary="Find candidates for one of our calls (its project's coordinators)",
    description="Listed members of this node ranked against the call's terms (skills, "
    "occupation, languages, period, place or remote, text); the project's team is left out.",
    responses=responses(401, 403, 404, 410),
)
async def call_candidates(
    token: Token,
    member: MemberDep,
    session: SessionDep,
    uris: UrisDep,
    settings: SettingsDep,
    limit: Page = 20,
    lang: Lang = None,
) -> Response:
    reorder = semantic_reorder(settings.semantic_rerank)
    async with session.begin():
        call = await local_call(session, uris, token)
        project = await session.get(Actor, call.project_id or call.actor_id)
        if project is None or project.kind != "project":
            raise NotFound("this call has no project on this node")
        await _coordinated(session, member, project)
        matches = await match_call(
            session, uris, call, opt_in="listed", limit=limit, reorder=reorder
        )
        found = [(m.candidate.member_id, m.score, m.components, m.parts) for m in matches]
        page = await _explained(session, uris, found, viewer_language(lang or member.language))
    return json_response(page)


@router.get(
    "/exchange",
    response_model=CandidatePage,
    summary="Find members to learn from and teach (member token)",
    description="Listed members who can teach a skill I want to learn AND want to learn a "
    "skill I can teach (same ESCO concept), best two-way matches first.",
    responses=errors(401),
)
async def exchange_partners(
    member: MemberDep, session: SessionDep, uris: UrisDep, limit: Page = 20, lang: Lang = None
) -> Response:
    async with session.begin():
        me = await learner(session, member.id)
        ranked = rank_exchanges(me, await exchange_pool(session, me), limit=limit)
        found = [(e.other.member_id, e.score, {"exchange": e.score}, e.parts) for e in ranked]
        page = await _explained(session, uris, found, viewer_language(lang or member.language))
    return json_response(page)
