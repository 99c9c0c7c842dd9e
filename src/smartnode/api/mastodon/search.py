"""Mastodon's search: GET /api/v2/search (accounts, statuses, hashtags) and
GET /api/v1/accounts/search, through content/search_cases.py. `resolve=true` (with a token)
looks a `user@host` handle up by WebFinger, or fetches a URL (an actor or a public status)
through the safe fetcher, and stores what it finds; without a token `resolve` and `offset`
answer 401, as on Mastodon."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import maybe_member
from smartnode.actors.resolve import FetchingResolver
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.auth import MastodonRoute, error, readable
from smartnode.api.mastodon.entities import Renderer
from smartnode.api.mastodon.pagination import clamp
from smartnode.config import Settings
from smartnode.content import search_cases as cases
from smartnode.content.search_cases import Fetch
from smartnode.content.search_cases import Query as Wanted
from smartnode.content.status_lookup import fetched_status
from smartnode.federation.fetch import FetchBudget, Fetcher, FetchError
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor

router = APIRouter(include_in_schema=False, route_class=MastodonRoute)
READ_SEARCH = "read:search"
ReadSearch = Annotated[Principal, Depends(readable(READ_SEARCH))]
Q = Annotated[str, Query(max_length=2000)]
Limit = Annotated[int | None, Query(ge=-(2**31), le=2**31)]
Offset = Annotated[int, Query(ge=0, le=10_000)]
FETCHES = 5
NO_PAGES = "Search queries pagination is not supported without authentication"
NO_RESOLVE = "Search queries that resolve remote resources are not supported without authentication"


def _resolver(request: Request, session: SessionDep, uris: NodeUris) -> FetchingResolver:
    fetcher: Fetcher = request.app.state.fetcher
    signer: httpx.Auth = request.app.state.node_signer
    return FetchingResolver(session, uris, fetcher, now=datetime.now(UTC), signer=signer,
                            budget=FetchBudget(FETCHES))  # fmt: skip


def _fetch(
    session: SessionDep, settings: Settings, uris: NodeUris, resolver: FetchingResolver | None
) -> Fetch | None:
    """How a status's URL is fetched and stored when the search resolves."""
    if resolver is None:
        return None
    budget = resolver.budget or FetchBudget(FETCHES)
    return partial(fetched_status, session, settings, uris, resolver, now=resolver.now,
                   signer=resolver.signer, budget=budget)  # fmt: skip


def _tag(name: str, uris: NodeUris, reader: Actor | None) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "url": uris.tag(name), "history": []}
    if reader is not None:
        found["following"] = False
    return found


async def _search(
    request: Request, principal: Principal, session: SessionDep, uris: NodeUris, q: str,
    kinds: set[str], wanted: Wanted, resolve: bool, following: bool, account_id: str | None,
    settings: Settings,
) -> dict[str, list[dict[str, Any]]] | JSONResponse:  # fmt: skip
    if principal.kind == "anonymous" and wanted.offset:
        return error(NO_PAGES, 401)
    if principal.kind == "anonymous" and resolve:
        return error(NO_RESOLVE, 401)
    renderer = Renderer(session, uris)
    answer: dict[str, list[dict[str, Any]]] = {"accounts": [], "statuses": [], "hashtags": []}
    async with session.begin():  # a resolved actor is stored
        reader = await maybe_member(session, principal, READ_SEARCH)
        wanted = Wanted(q, wanted.limit, wanted.offset, reader)
        resolver = _resolver(request, session, uris) if resolve else None
        if "accounts" in kinds:
            actors = await cases.find_accounts(session, uris, wanted, following=following,
                                               resolver=resolver)  # fmt: skip
            rendered = await renderer.accounts(actors)
            answer["accounts"] = [rendered[a.id] for a in actors]
        if "statuses" in kinds:
            author = int(account_id) if account_id and account_id.isdigit() else None
            fetch = _fetch(session, settings, uris, resolver)
            items = [] if account_id and author is None else await cases.find_statuses(
                session, wanted, account_id=author, fetch=fetch)  # fmt: skip
            answer["statuses"] = await renderer.statuses(items, reader)
        if "hashtags" in kinds:
            names = await cases.find_hashtags(session, wanted)
            answer["hashtags"] = [_tag(n, uris, reader) for n in names]
    return answer


@router.get("/api/v2/search")
async def search(
    request: Request, principal: ReadSearch, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, q: Q, type: Literal["accounts", "statuses", "hashtags"] | None = None,
    resolve: bool = False, limit: Limit = None, offset: Offset = 0, following: bool = False,
    account_id: Annotated[str | None, Query(max_length=20)] = None,
    exclude_unreviewed: bool = False,
) -> JSONResponse:  # fmt: skip
    del exclude_unreviewed  # every hashtag here is one members wrote
    kinds: set[str] = {type} if type else {"accounts", "statuses", "hashtags"}
    wanted = Wanted(q, clamp(limit), offset)
    try:
        found = await _search(request, principal, session, uris, q, kinds, wanted, resolve,
                              following, account_id, settings)  # fmt: skip
    except FetchError as exc:
        return error(f"the remote server failed: {exc.message}", 502)
    return found if isinstance(found, JSONResponse) else JSONResponse(found)


@router.get("/api/v1/accounts/search")
async def account_search(
    request: Request, principal: ReadSearch, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, q: Q, resolve: bool = False, limit: Limit = None,
    offset: Offset = 0, following: bool = False,
) -> JSONResponse:  # fmt: skip
    wanted = Wanted(q, clamp(limit), offset)
    try:
        found = await _search(request, principal, session, uris, q, {"accounts"}, wanted,
                              resolve, following, None, settings)  # fmt: skip
    except FetchError as exc:
        return error(f"the remote server failed: {exc.message}", 502)
    return found if isinstance(found, JSONResponse) else JSONResponse(found["accounts"])
