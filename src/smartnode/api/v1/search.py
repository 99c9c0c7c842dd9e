"""/api/smart/v1/search: full-text search over members, projects, calls, events and posts, with
facets.

Public: only what its owners let be found is in the index (docs/search.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.api.v1.auth import MaybePrincipalDep
from smartnode.api.v1.schemas import errors, json_response
from smartnode.matching.directory import Asking, federated_search, may_ask_peers
from smartnode.matching.search import MAX_LIMIT, MAX_QUERY, FacetCount, Filters, Hit, search
from smartnode.matching.search_vectors import shared_semantic
from smartnode.matching.terms import LANGUAGES

router = APIRouter(tags=["search"])

Kind = Literal["member", "project", "call", "event", "post"]
LANG = r"^[a-z]{2,3}$"


class HitOut(BaseModel):
    kind: str = Field(description="member, project, call, event or post.")
    uri: str = Field(description="The ActivityPub id (also its page for people).")
    title: str = Field(
        description="Name, or title (a post without one: its first words), plain text."
    )
    snippet: str = Field(description="Plain text around the first match, HTML-escaped.")
    language: str = Field(description="The text's language; `und` when unknown (remote).")
    country: str
    remote: bool = Field(description="Remote work is possible (an event: it can be joined online).")
    local: bool = Field(description="On this node (false: cached from another server).")
    skills: list[str] = Field(description="ESCO URIs.")
    languages: list[str] = Field(description="Working languages.")
    score: float
    updated_at: datetime
    origin: str | None = Field(
        default=None, description="The peer node it came from (`peers=true`); null: this node."
    )


class FacetOut(BaseModel):
    value: str
    count: int
    label: str | None = Field(default=None, description="A skill's label in `lang`.")


class PeersOut(BaseModel):
    asked: list[str] = Field(description="The trusted peers asked (hosts).")
    left_out: list[str] = Field(description="Those that did not answer in time, or not usably.")


class SearchOut(BaseModel):
    """One page of results, best first, and facet counts over every match."""

    items: list[HitOut]
    total: int = Field(description="How many matched (ranked up to 1000).")
    next: str | None = Field(description="Pass as `after` for the next page.")
    facets: dict[str, list[FacetOut]] = Field(
        description="kind, country, remote, language and skill: value → count."
    )
    peers: PeersOut | None = Field(
        default=None, description="With `peers=true`: the peer nodes asked and those left out."
    )


def hit_out(hit: Hit) -> HitOut:
    return HitOut(
        kind=hit.kind, uri=hit.uri, title=hit.title, snippet=hit.snippet, language=hit.language,
        country=hit.country, remote=hit.remote, local=hit.local, skills=hit.skills,
        languages=hit.languages, score=hit.score, updated_at=hit.updated_at, origin=hit.origin,
    )  # fmt: skip


def _facets(found: dict[str, list[FacetCount]]) -> dict[str, list[FacetOut]]:
    return {
        name: [FacetOut(value=f.value, count=f.count, label=f.label) for f in values]
        for name, values in found.items()
    }


def _viewer_language(lang: str | None, accept_language: str | None) -> str:
    """`lang`, else the first of Accept-Language's languages we speak, else English."""
    if lang:
        return lang
    for part in (accept_language or "").split(",")[:10]:
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


@router.get(
    "/search",
    response_model=SearchOut,
    summary="Search members, projects, calls, events and posts",
    description="Words in any of the seven languages (stemmed in `lang`, accents ignored, "
    "parts of compounds found); filters combine with AND, repeated `kind` or `skill` with OR. "
    "An empty `q` lists what the filters select, newest first.",
    responses=errors(401),
)
async def search_route(
    request: Request,
    principal: MaybePrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="Words to look for.")] = "",
    kind: Annotated[
        list[Kind] | None, Query(description="member, project, call, event or post.")
    ] = None,
    skill: Annotated[
        list[Annotated[str, Field(max_length=255)]] | None,
        Query(max_length=20, description="ESCO URIs (any of them)."),
    ] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    language: Annotated[str | None, Query(pattern=LANG, description="Working language.")] = None,
    remote: Annotated[bool | None, Query(description="Remote work possible.")] = None,
    origin: Annotated[Literal["local", "remote"] | None, Query()] = None,
    date_from: Annotated[date | None, Query(alias="from", description="Dates overlap…")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="…this range.")] = None,
    lang: Annotated[str | None, Query(pattern=LANG, description="Your language.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    after: Annotated[str | None, Query(max_length=8, description="`next` of a page.")] = None,
    peers: Annotated[
        bool, Query(description="Also ask the trusted peer nodes (first page; needs a token).")
    ] = False,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    filters = Filters(
        kinds=kind or (), skills=skill or (), country=country.upper() if country else None,
        language=language, date_from=date_from, date_to=date_to, remote=remote,
        local=None if origin is None else origin == "local",
    )  # fmt: skip
    language_ = _viewer_language(lang, accept_language)
    semantic = shared_semantic(settings.semantic_search)
    answers = None
    if peers and after is None:
        may_ask_peers(principal)
        page, answers = await federated_search(
            session, asking(request), q, filters, language=language_, limit=limit,
            semantic=semantic,
        )  # fmt: skip
    else:
        page = await search(session, q, filters, viewer_language=language_, limit=limit,
                            after=after, semantic=semantic)  # fmt: skip
    out = SearchOut(
        items=[hit_out(h) for h in page.hits], total=page.total, next=page.next,
        facets=_facets(page.facets),
        peers=PeersOut(asked=answers.asked, left_out=answers.left_out) if answers else None,
    )  # fmt: skip
    return json_response(out)


def asking(request: Request) -> Asking:
    """How this process asks the trusted peers (its fetcher and node actor's signer)."""
    state = request.app.state
    return Asking(state.fetcher, state.node_signer, state.settings.directory_deadline)
