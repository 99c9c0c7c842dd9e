"""Match-making API: candidates for a project or one of its calls (its coordinators only) and
peer-to-peer exchange (a member for themselves); matching/candidate_cases.py decides. Only this
node's members who opted in (listed) are ever shown; explanations come in the viewer's
language."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
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
from smartnode.matching import candidate_cases as cases
from smartnode.matching.candidate_cases import Candidate
from smartnode.matching.search_vectors import shared_semantic

router = APIRouter(tags=["matching"], route_class=ChallengeRoute)

Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]
Token = Annotated[str, Path(max_length=64, description="The call's token.")]


def _page(found: list[Candidate], domain: str) -> CandidatePage:
    items = [
        CandidateOut(
            username=c.actor.username, handle=handle_of(c.actor, domain), actor_uri=c.actor.uri,
            name=c.actor.name, score=c.score, components=c.components,
            explanation=c.explanation, parts=c.parts,
        )
        for c in found
    ]  # fmt: skip
    return CandidatePage(items=items)


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
    principal: PrincipalDep,
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
    semantic = shared_semantic(settings.semantic_search)
    async with session.begin():
        found = await cases.project_candidates(
            session, uris.domain, principal, slug, need, limit=limit, semantic=semantic, lang=lang
        )
    return json_response(_page(found, uris.domain))


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
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    settings: SettingsDep,
    limit: Page = 20,
    lang: Lang = None,
) -> Response:
    semantic = shared_semantic(settings.semantic_search)
    async with session.begin():
        found = await cases.call_candidates(
            session, uris, principal, token, limit=limit, semantic=semantic, lang=lang
        )
    return json_response(_page(found, uris.domain))


@router.get(
    "/exchange",
    response_model=CandidatePage,
    summary="Find members to learn from and teach (member token)",
    description="Listed members who can teach a skill I want to learn AND want to learn a "
    "skill I can teach (same ESCO concept), best two-way matches first.",
    responses=errors(401, 403),
)
async def exchange_partners(
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    limit: Page = 20,
    lang: Lang = None,
) -> Response:
    async with session.begin():
        found = await cases.exchange_partners(session, principal, limit=limit, lang=lang)
    return json_response(_page(found, uris.domain))
