"""/api/smart/v1/directory: the federated directory's peer-facing search (docs/search.md).

Only for a trusted peer's node actor, by a signed GET (401 unsigned or not verifiable, 403
signed by anyone else); it answers from this node's index with the local members who opted in
to be found by the federation's other nodes, and nothing else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.api.signed_fetch import verified_signer
from smartnode.api.v1.schemas import errors, json_response
from smartnode.api.v1.search import LANG, HitOut, hit_out
from smartnode.errors import SmartnodeError, Unauthorized
from smartnode.matching.directory import PATH, answer_peer
from smartnode.matching.search import MAX_LIMIT, MAX_QUERY, Filters
from smartnode.matching.search_vectors import shared_semantic

router = APIRouter(tags=["search"])


class DirectoryOut(BaseModel):
    """This node's members who let the federation's other nodes find them, best first."""

    items: list[HitOut]
    total: int = Field(description="How many matched (ranked up to 1000).")


@router.get(
    PATH.removeprefix("/api/smart/v1"),
    response_model=DirectoryOut,
    summary="Search this node's members for a trusted peer node",
    description="For the federation's trusted peers only: a GET signed by the peer's node actor "
    "(HTTP signatures). Answers with the local members who opted in to be found by other nodes.",
    responses=errors(401, 403),
)
async def directory_route(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="Words to look for.")] = "",
    skill: Annotated[
        list[Annotated[str, Field(max_length=255)]] | None, Query(max_length=20)
    ] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    language: Annotated[str | None, Query(pattern=LANG, description="Working language.")] = None,
    remote: Annotated[bool | None, Query()] = None,
    lang: Annotated[str, Query(pattern=LANG, description="The asker's language.")] = "en",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> Response:
    try:
        key = await verified_signer(request)
    except SmartnodeError as error:
        why = f"a GET signed by a trusted peer's node actor is required: {error.message}"
        raise Unauthorized(why) from None
    filters = Filters(skills=skill or (), country=country.upper() if country else None,
                      language=language, remote=remote)  # fmt: skip
    page = await answer_peer(
        session, key.owner_uri, q, filters, language=lang, limit=limit,
        semantic=shared_semantic(settings.semantic_search),
    )  # fmt: skip
    out = DirectoryOut(items=[hit_out(h) for h in page.hits], total=page.total)
    return json_response(out)
