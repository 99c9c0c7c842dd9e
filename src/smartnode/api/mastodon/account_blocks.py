"""Mastodon's blocks and mutes: block, unblock, mute (`notifications`, `duration`) and unmute
an account, each answering the Relationship as it is now; the member's blocked and muted
accounts (`/api/v1/blocks`, `/api/v1/mutes`), newest first, paged by block or mute id with a
`Link` header. The use cases are actors/account_blocks.py and actors/mutes.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors import account_blocks as blocking
from smartnode.actors import account_views as views
from smartnode.actors import mutes as muting
from smartnode.actors.acting import READ_BLOCKS, READ_MUTES, WRITE_BLOCKS, WRITE_MUTES
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.accounts import account_id
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_id
from smartnode.api.mastodon.entities import Renderer, iso_ms, relationship_entity
from smartnode.api.mastodon.pagination import Id, clamp, link_headers
from smartnode.api.oauth_body import Params, body_params
from smartnode.errors import ValidationFailed
from smartnode.storage.windows import IdWindow

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=MastodonRoute)
#: Mastodon's lists of accounts: 40 by default, at most 80.
DEFAULT_LIMIT, MAX_LIMIT = 40, 80
Limit = Annotated[int | None, Query(ge=-(2**31), le=2**31)]
_TRUE, _FALSE = ("true", "1", "on", "t"), ("false", "0", "off", "f", "")


async def _relationship(session: AsyncSession, member: int, target: int) -> JSONResponse:
    [found] = await views.relationships(session, member, [target])
    return JSONResponse(relationship_entity(found))


def _mute_terms(params: Params) -> tuple[bool, int]:
    """(notifications, duration seconds) of a mute request; 422 for values of other kinds."""
    notifications, duration = params.get("notifications", "true"), params.get("duration", "0")
    if not isinstance(notifications, str) or notifications.lower() not in (*_TRUE, *_FALSE):
        raise ValidationFailed("Validation failed: notifications must be true or false")
    if not isinstance(duration, str) or not duration.strip().isdigit() or len(duration) > 12:
        raise ValidationFailed("Validation failed: duration must be a number of seconds")
    return notifications.lower() in _TRUE, int(duration)


@router.post("/accounts/{account}/block")
async def block(
    account: str, principal: Caller, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> JSONResponse:
    member_id(principal, WRITE_BLOCKS)
    async with session.begin():
        pair = await blocking.block_as(session, uris, principal, account_id(account),
                                       datetime.now(UTC))  # fmt: skip
    documents.clear()  # the follows cut show in the collections
    return await _relationship(session, pair.member.id, pair.target.id)


@router.post("/accounts/{account}/unblock")
async def unblock(account: str, principal: Caller, session: SessionDep, uris: UrisDep
                  ) -> JSONResponse:  # fmt: skip
    member_id(principal, WRITE_BLOCKS)
    async with session.begin():
        pair = await blocking.unblock_as(session, uris, principal, account_id(account),
                                         datetime.now(UTC))  # fmt: skip
    return await _relationship(session, pair.member.id, pair.target.id)


@router.post("/accounts/{account}/mute")
async def mute(account: str, request: Request, principal: Caller, session: SessionDep
               ) -> JSONResponse:  # fmt: skip
    member_id(principal, WRITE_MUTES)
    notifications, duration = _mute_terms(await body_params(request))
    async with session.begin():
        member, target = await muting.mute_as(session, principal, account_id(account),
                                              notifications=notifications, duration=duration,
                                              now=datetime.now(UTC))  # fmt: skip
    return await _relationship(session, member.id, target.id)


@router.post("/accounts/{account}/unmute")
async def unmute(account: str, principal: Caller, session: SessionDep) -> JSONResponse:
    member_id(principal, WRITE_MUTES)
    async with session.begin():
        member, target = await muting.unmute_as(session, principal, account_id(account))
    return await _relationship(session, member.id, target.id)


def _window(limit: int | None, max_id: int | None, since_id: int | None,
            min_id: int | None) -> IdWindow:  # fmt: skip
    return IdWindow(clamp(limit, default=DEFAULT_LIMIT, most=MAX_LIMIT), max_id, since_id, min_id)


@router.get("/blocks")
async def blocks(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, limit: Limit = None, max_id: Id = None, since_id: Id = None,
    min_id: Id = None,
) -> JSONResponse:  # fmt: skip
    member_id(principal, READ_BLOCKS)
    window = _window(limit, max_id, since_id, min_id)
    rows = await blocking.blocked_window(session, principal, window)
    accounts = await Renderer(session, uris).accounts([actor for _, actor in rows])
    links = link_headers(request, settings.base_url, [i for i, _ in rows], window.limit)
    return JSONResponse([accounts[actor.id] for _, actor in rows], headers=links)


@router.get("/mutes")
async def mutes(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, limit: Limit = None, max_id: Id = None, since_id: Id = None,
    min_id: Id = None,
) -> JSONResponse:  # fmt: skip
    member_id(principal, READ_MUTES)
    window = _window(limit, max_id, since_id, min_id)
    rows = await muting.muted_window(session, principal, window, datetime.now(UTC))
    accounts = await Renderer(session, uris).accounts([actor for _, actor, _ in rows])
    found = [
        {**accounts[actor.id],
         "mute_expires_at": iso_ms(row.expires_at) if row.expires_at else None}
        for _, actor, row in rows
    ]  # fmt: skip
    links = link_headers(request, settings.base_url, [i for i, _, _ in rows], window.limit)
    return JSONResponse(found, headers=links)
