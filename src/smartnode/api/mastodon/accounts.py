"""Mastodon's accounts: the member's own (verify_credentials, update_credentials), any account
we store by id or `acct`, its statuses, followers and follows, and relationships.

Reads of others are public as on Mastodon (a token, when sent, must be valid and cover
`read:accounts` or `read:statuses`); the member's own need a token. The profile changes through
the use case of the web profile page (actors/member_cases.change_whole_profile).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors import account_views as views
from smartnode.actors import member_cases as members
from smartnode.actors.acting import READ_ACCOUNTS, READ_FOLLOWS, READ_STATUSES, WRITE_ACCOUNTS
from smartnode.actors.follow_cases import Relation
from smartnode.actors.inputs import MemberUpdate
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_of, readable
from smartnode.api.mastodon.entities import Renderer, relationship_entity
from smartnode.api.mastodon.pagination import WindowDep, link_headers
from smartnode.api.oauth_body import Params, body_params
from smartnode.content import pins, statuses
from smartnode.errors import NotFound, ValidationFailed
from smartnode.federation.sanitize import text_to_html
from smartnode.federation.uris import NodeUris
from smartnode.storage.windows import IdWindow
from smartnode.validation_words import validation_message

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=MastodonRoute)
ReadAccounts = Annotated[Principal, Depends(readable(READ_ACCOUNTS))]
ReadStatuses = Annotated[Principal, Depends(readable(READ_STATUSES))]
MAX_IDS = 40
#: update_credentials' switches and the profile flags they set.
FLAGS = (("locked", "manually_approves_followers"), ("discoverable", "discoverable"),
         ("indexable", "indexable"), ("hide_collections", "hide_network"))  # fmt: skip
_FIELD_KEY = re.compile(r"^fields_attributes\[(\d{1,2})\]\[(name|value)\]$")


def account_id(value: str) -> int:
    """An account id of the path; 404 for anything that is not one."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound("Record not found")
    return int(value)


@router.get("/accounts/verify_credentials")
async def verify_credentials(principal: Caller, session: SessionDep, uris: UrisDep) -> JSONResponse:
    member = await member_of(session, principal, READ_ACCOUNTS)
    return JSONResponse(await Renderer(session, uris).credential_account(member))


def _fields(request: Request, params: Params) -> list[dict[str, str]] | None:
    """`fields_attributes` as a form (`fields_attributes[0][name]`) or JSON (a list, or an
    object keyed by position) sends them; None when not sent."""
    given: Any = params.get("fields_attributes")
    rows: dict[int, dict[str, str]] = {}
    if isinstance(given, list):
        rows = {i: v for i, v in enumerate(given) if isinstance(v, dict)}
    elif isinstance(given, dict):
        rows = {int(k): v for k, v in given.items() if str(k).isdigit() and isinstance(v, dict)}
    for key, value in params.items():
        match = _FIELD_KEY.match(key)
        if match and isinstance(value, str):
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    if given is None and not rows:
        return None
    pairs = [(str(r.get("name", "")).strip(), str(r.get("value", "")).strip())
             for _, r in sorted(rows.items())]  # fmt: skip
    return [{"name": n, "url": v} for n, v in pairs if n or v]


def _profile_change(request: Request, params: Params) -> MemberUpdate:
    """The MemberUpdate a Mastodon update_credentials asks for (422 naming a bad field)."""
    change: dict[str, Any] = {}
    if isinstance(params.get("display_name"), str):
        change["name"] = params["display_name"]
    if isinstance(params.get("note"), str):
        change["summary"] = text_to_html(str(params["note"]))
    for name, flag in FLAGS:
        value = params.get(name)
        if isinstance(value, str):
            change[flag] = value.lower() in ("true", "1", "on")
    fields = _fields(request, params)
    if fields is not None:
        change["links"] = fields
    try:
        return MemberUpdate.model_validate(change)
    except ValidationError as exc:
        words = validation_message(exc.errors(), change).replace("links", "fields_attributes")
        raise ValidationFailed(f"Validation failed: {words}") from None


@router.patch("/accounts/update_credentials")
async def update_credentials(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    documents: DocumentsDep,
) -> JSONResponse:  # fmt: skip
    change = _profile_change(request, await body_params(request))
    async with session.begin():
        member = await member_of(session, principal, WRITE_ACCOUNTS)
        await members.change_whole_profile(
            session, uris, principal, member.username, change, members.MatchingProfileChange(),
            datetime.now(UTC),
        )  # fmt: skip
    documents.clear()
    await session.refresh(member)
    return JSONResponse(await Renderer(session, uris).credential_account(member))


@router.get("/accounts/lookup")
async def lookup(
    principal: ReadAccounts, session: SessionDep, uris: UrisDep,
    acct: Annotated[str, Query(min_length=1, max_length=300)],
) -> JSONResponse:  # fmt: skip
    actor = await views.account_by_acct(session, acct, uris.domain)
    return JSONResponse(await Renderer(session, uris).account(actor))


@router.get("/accounts/relationships")
async def relationships(request: Request, principal: Caller, session: SessionDep) -> JSONResponse:
    member = await member_of(session, principal, READ_FOLLOWS)
    given = [*request.query_params.getlist("id[]"), *request.query_params.getlist("id")]
    ids = [int(v) for v in given[:MAX_IDS] if v.isdigit() and len(v) <= 18]
    found = await views.relationships(session, member.id, ids)
    return JSONResponse([relationship_entity(r) for r in found])


@router.get("/accounts/{account}")
async def get_account(
    account: str, principal: ReadAccounts, session: SessionDep, uris: UrisDep
) -> JSONResponse:
    actor = await views.account_by_id(session, account_id(account))
    return JSONResponse(await Renderer(session, uris).account(actor))


@router.get("/accounts/{account}/statuses")
async def account_statuses(
    account: str, request: Request, principal: ReadStatuses, session: SessionDep,
    uris: UrisDep, settings: SettingsDep, window: WindowDep,
    exclude_replies: bool = False, only_media: bool = False, pinned: bool = False,
    exclude_reblogs: bool = False, tagged: Annotated[str | None, Query(max_length=100)] = None,
) -> JSONResponse:  # fmt: skip
    actor = await views.account_by_id(session, account_id(account))
    reader = await statuses.reader_of(session, principal)
    if pinned:  # all of them, unpaged (as Mastodon lists them)
        items = await pins.pinned_statuses(session, reader, actor)
        return JSONResponse(await Renderer(session, uris).statuses(items, reader.actor))
    items = await statuses.account_statuses(session, reader, actor, window,
                                            exclude_replies=exclude_replies,
                                            only_media=only_media, tagged=tagged)  # fmt: skip
    links = link_headers(request, settings.base_url, [o.id for o, _ in items], window.limit)
    return JSONResponse(await Renderer(session, uris).statuses(items, reader.actor), headers=links)


async def _relation_list(
    request: Request, account: str, relation: Relation, principal: Principal,
    session: AsyncSession, uris: NodeUris, base_url: str, window: IdWindow,
) -> JSONResponse:  # fmt: skip
    actor = await views.account_by_id(session, account_id(account))
    rows = await views.relation_window(session, principal, actor, relation, window)
    accounts = await Renderer(session, uris).accounts([other for _, other in rows])
    links = link_headers(request, base_url, [follow_id for follow_id, _ in rows], window.limit)
    return JSONResponse([accounts[other.id] for _, other in rows], headers=links)


@router.get("/accounts/{account}/followers")
async def followers(
    account: str, request: Request, principal: ReadAccounts, session: SessionDep,
    uris: UrisDep, settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    return await _relation_list(request, account, "followers", principal, session, uris,
                                settings.base_url, window)  # fmt: skip


@router.get("/accounts/{account}/following")
async def following(
    account: str, request: Request, principal: ReadAccounts, session: SessionDep,
    uris: UrisDep, settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    return await _relation_list(request, account, "following", principal, session, uris,
                                settings.base_url, window)  # fmt: skip
