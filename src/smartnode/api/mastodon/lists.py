"""Mastodon's lists (content/lists.py, content/list_timeline.py): the member's lists and their
projects' team lists (`team-<id>`, read-only), their accounts, the lists holding an account,
and a list's timeline, paged with a `Link` header. Scopes: read:lists, write:lists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.accounts import account_id
from smartnode.api.mastodon.auth import Caller, member_of
from smartnode.api.mastodon.auth import MastodonRoute as Route
from smartnode.api.mastodon.entities import Renderer
from smartnode.api.mastodon.pagination import WindowDep, clamp, link_headers
from smartnode.api.oauth_body import Params, body_params
from smartnode.content import lists
from smartnode.content.list_timeline import list_timeline
from smartnode.content.lists import ListView
from smartnode.errors import ValidationFailed
from smartnode.storage.windows import IdWindow

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=Route)
READ_LISTS, WRITE_LISTS = "read:lists", "write:lists"
#: Accounts of a list per page, as Mastodon (0: all of them).
ACCOUNTS_LIMIT = 40


def list_entity(found: ListView) -> dict[str, Any]:
    return {"id": found.id, "title": found.title, "replies_policy": found.replies_policy,
            "exclusive": found.exclusive}  # fmt: skip


def _text(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ValidationFailed(f"Validation failed: {name} must be text")


def _flag(params: Params, name: str) -> bool | None:
    value = _text(params, name)
    if value is None:
        return None
    return value.strip().lower() in ("true", "1", "on", "yes")


@router.get("/lists")
async def all_lists(principal: Caller, session: SessionDep) -> JSONResponse:
    member = await member_of(session, principal, READ_LISTS)
    return JSONResponse([list_entity(one) for one in await lists.member_lists(session, member)])


@router.get("/lists/{list_id}")
async def one_list(list_id: str, principal: Caller, session: SessionDep) -> JSONResponse:
    member = await member_of(session, principal, READ_LISTS)
    return JSONResponse(list_entity(await lists.get_list(session, member, list_id)))


@router.post("/lists")
async def create(request: Request, principal: Caller, session: SessionDep) -> JSONResponse:
    params = await body_params(request)
    async with session.begin():
        member = await member_of(session, principal, WRITE_LISTS)
        made = await lists.create_list(
            session,
            member,
            _text(params, "title"),
            _text(params, "replies_policy"),
            bool(_flag(params, "exclusive")),
            datetime.now(UTC),
        )
    return JSONResponse(list_entity(made))


@router.put("/lists/{list_id}")
async def update(
    list_id: str, request: Request, principal: Caller, session: SessionDep
) -> JSONResponse:
    params = await body_params(request)
    async with session.begin():
        member = await member_of(session, principal, WRITE_LISTS)
        changed = await lists.update_list(session, member, list_id, _text(params, "title"),
                                          _text(params, "replies_policy") or None,
                                          _flag(params, "exclusive"))  # fmt: skip
    return JSONResponse(list_entity(changed))


@router.delete("/lists/{list_id}")
async def remove(list_id: str, principal: Caller, session: SessionDep) -> JSONResponse:
    async with session.begin():
        member = await member_of(session, principal, WRITE_LISTS)
        await lists.delete_list(session, member, list_id)
    return JSONResponse({})


@router.get("/lists/{list_id}/accounts")
async def accounts(
    list_id: str, request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep,
    limit: Annotated[int | None, Query(ge=-(2**31), le=2**31)] = None,
) -> JSONResponse:  # fmt: skip
    member = await member_of(session, principal, READ_LISTS)
    found = await lists.get_list(session, member, list_id)
    wanted = (
        None
        if limit == 0
        else IdWindow(
            clamp(limit, default=ACCOUNTS_LIMIT, most=80),
            window.max_id,
            window.since_id,
            window.min_id,
        )
    )
    actors = await lists.list_accounts(session, found, wanted)
    rendered = await Renderer(session, uris).accounts(actors)
    links = link_headers(request, settings.base_url, [a.id for a in actors],
                         wanted.limit) if wanted else {}  # fmt: skip
    return JSONResponse([rendered[a.id] for a in actors], headers=links)


async def _account_ids(request: Request) -> list[int]:
    """`account_ids[]` of the body or the query (422 when none is given)."""
    given: Any = (await body_params(request)).get("account_ids")
    query = [
        v for k, v in request.query_params.multi_items() if k in ("account_ids[]", "account_ids")
    ]
    items = [*(given if isinstance(given, list) else [given] if given else []), *query]
    if not items:
        raise ValidationFailed("Validation failed: account_ids must be given")
    return [account_id(str(item)) for item in items]


@router.post("/lists/{list_id}/accounts")
async def add(
    list_id: str, request: Request, principal: Caller, session: SessionDep
) -> JSONResponse:
    ids = await _account_ids(request)
    async with session.begin():
        member = await member_of(session, principal, WRITE_LISTS)
        await lists.add_accounts(session, member, list_id, ids)
    return JSONResponse({})


@router.delete("/lists/{list_id}/accounts")
async def take_off(
    list_id: str, request: Request, principal: Caller, session: SessionDep
) -> JSONResponse:
    ids = await _account_ids(request)
    async with session.begin():
        member = await member_of(session, principal, WRITE_LISTS)
        await lists.remove_accounts(session, member, list_id, ids)
    return JSONResponse({})


@router.get("/accounts/{account}/lists")
async def holding(account: str, principal: Caller, session: SessionDep) -> JSONResponse:
    member = await member_of(session, principal, READ_LISTS)
    found = await lists.lists_with(session, member, account_id(account))
    return JSONResponse([list_entity(one) for one in found])


@router.get("/timelines/list/{list_id}")
async def timeline(
    list_id: str, request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    member = await member_of(session, principal, READ_LISTS)
    found = await lists.get_list(session, member, list_id)
    items = await list_timeline(session, member, found, window)
    rendered = await Renderer(session, uris).statuses(items, member)
    links = link_headers(request, settings.base_url, [obj.id for obj, _ in items], window.limit)
    return JSONResponse(rendered, headers=links)
