"""Mastodon's actions on a status: favourite, reblog, bookmark and pin (and taking them
back), who favourited and reblogged it, and the member's favourites and bookmarks. The use
cases are content/favourites.py's (a like is the member's reaction, with a Like to a remote
author; a reblog an Announce to their followers and the author), content/bookmarks.py's
(private, nothing federated) and content/pins.py's (Add and Remove on `featured`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_ACCOUNTS, WRITE_ACCOUNTS, WRITE_STATUSES
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_of, readable
from smartnode.api.mastodon.entities import Renderer, iso_ms
from smartnode.api.mastodon.pagination import WindowDep, link_headers
from smartnode.api.mastodon.statuses import status_id
from smartnode.config import Settings
from smartnode.content import bookmarks, favourites, pins, statuses
from smartnode.content.bookmarks import READ_BOOKMARKS, WRITE_BOOKMARKS
from smartnode.content.favourites import READ_FAVOURITES, WRITE_FAVOURITES
from smartnode.content.reactions import ANNOUNCE, LIKE
from smartnode.content.threads import Item
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=MastodonRoute)
ReadAccounts = Annotated[Principal, Depends(readable(READ_ACCOUNTS))]
Action = Callable[[AsyncSession, NodeUris, Actor, int, datetime], Awaitable[Item]]


async def _act(
    session: AsyncSession, uris: NodeUris, principal: Principal, scope: str, status: str,
    action: Action,
) -> tuple[Actor, ContentObject, Actor]:  # fmt: skip
    wanted = status_id(status)
    async with session.begin():
        member = await member_of(session, principal, scope)
        obj, author = await action(session, uris, member, wanted, datetime.now(UTC))
    await session.refresh(obj)  # the counters are written at commit
    return member, obj, author


async def _answer(
    session: AsyncSession, uris: NodeUris, principal: Principal, scope: str, status: str,
    action: Action,
) -> JSONResponse:  # fmt: skip
    member, obj, author = await _act(session, uris, principal, scope, status, action)
    return JSONResponse(await Renderer(session, uris).status(obj, author, member))


@router.post("/statuses/{status}/favourite")
async def favourite(status: str, principal: Caller, session: SessionDep,
                    uris: UrisDep) -> JSONResponse:  # fmt: skip
    return await _answer(session, uris, principal, WRITE_FAVOURITES, status,
                         favourites.favourite)  # fmt: skip


@router.post("/statuses/{status}/unfavourite")
async def unfavourite(status: str, principal: Caller, session: SessionDep,
                      uris: UrisDep) -> JSONResponse:  # fmt: skip
    return await _answer(session, uris, principal, WRITE_FAVOURITES, status,
                         favourites.unfavourite)  # fmt: skip


def reblog_entity(original: dict[str, Any], account: dict[str, Any], uri: str,
                  created_at: str) -> dict[str, Any]:  # fmt: skip
    """Mastodon's reblog: a Status of the booster whose `reblog` is the status boosted (its
    id is the boosted status's: a boost has no row of its own here)."""
    return {
        **original, "uri": uri, "url": uri, "created_at": created_at, "account": account,
        "content": "", "spoiler_text": "", "sensitive": False, "in_reply_to_id": None,
        "in_reply_to_account_id": None, "media_attachments": [], "mentions": [], "tags": [],
        "edited_at": None, "reblog": original, "replies_count": 0, "reblogs_count": 0,
        "favourites_count": 0,
    }  # fmt: skip


@router.post("/statuses/{status}/reblog")
async def reblog(status: str, principal: Caller, session: SessionDep,
                 uris: UrisDep) -> JSONResponse:  # fmt: skip
    member, obj, author = await _act(session, uris, principal, WRITE_STATUSES, status,
                                     favourites.reblog)  # fmt: skip
    renderer = Renderer(session, uris)
    original = await renderer.status(obj, author, member)
    boost = await favourites.boost_of(session, member, obj)
    account = await renderer.account(member)
    return JSONResponse(reblog_entity(original, account, boost.uri,
                                      iso_ms(boost.created_at)))  # fmt: skip


@router.post("/statuses/{status}/unreblog")
async def unreblog(status: str, principal: Caller, session: SessionDep,
                   uris: UrisDep) -> JSONResponse:  # fmt: skip
    return await _answer(session, uris, principal, WRITE_STATUSES, status, favourites.unreblog)


async def _reactors(
    request: Request, status: str, kind: str, principal: Principal, session: AsyncSession,
    uris: NodeUris, base_url: str, window: Any,
) -> JSONResponse:  # fmt: skip
    reader = await statuses.reader_of(session, principal)
    rows = await favourites.reactors(session, reader, status_id(status), kind, window)
    accounts = await Renderer(session, uris).accounts([actor for _, actor in rows])
    links = link_headers(request, base_url, [row_id for row_id, _ in rows], window.limit)
    return JSONResponse([accounts[actor.id] for _, actor in rows], headers=links)


@router.get("/statuses/{status}/favourited_by")
async def favourited_by(
    status: str, request: Request, principal: ReadAccounts, session: SessionDep,
    uris: UrisDep, settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    return await _reactors(request, status, LIKE, principal, session, uris, settings.base_url,
                           window)  # fmt: skip


@router.get("/statuses/{status}/reblogged_by")
async def reblogged_by(
    status: str, request: Request, principal: ReadAccounts, session: SessionDep,
    uris: UrisDep, settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    return await _reactors(request, status, ANNOUNCE, principal, session, uris,
                           settings.base_url, window)  # fmt: skip


async def _marked_page(
    request: Request, session: AsyncSession, uris: NodeUris, settings: Settings, member: Actor,
    rows: Sequence[tuple[int, Item]], limit: int,
) -> JSONResponse:  # fmt: skip
    """The statuses a member liked or bookmarked, paged by the mark's id (the Link header)."""
    rendered = await Renderer(session, uris).statuses([item for _, item in rows], member)
    links = link_headers(request, settings.base_url, [mark for mark, _ in rows], limit)
    return JSONResponse(rendered, headers=links)


@router.get("/favourites")
async def liked(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    member = await member_of(session, principal, READ_FAVOURITES)
    rows = await favourites.liked_statuses(session, member, window)
    return await _marked_page(request, session, uris, settings, member, rows, window.limit)


async def _bookmark(session: AsyncSession, uris: NodeUris, member: Actor, status_id: int,
                    now: datetime) -> Item:  # fmt: skip
    return await bookmarks.bookmark(session, member, status_id, now)


async def _unbookmark(session: AsyncSession, uris: NodeUris, member: Actor, status_id: int,
                      now: datetime) -> Item:  # fmt: skip
    return await bookmarks.unbookmark(session, member, status_id, now)


@router.post("/statuses/{status}/bookmark")
async def bookmark(status: str, principal: Caller, session: SessionDep,
                   uris: UrisDep) -> JSONResponse:  # fmt: skip
    return await _answer(session, uris, principal, WRITE_BOOKMARKS, status, _bookmark)


@router.post("/statuses/{status}/unbookmark")
async def unbookmark(status: str, principal: Caller, session: SessionDep,
                     uris: UrisDep) -> JSONResponse:  # fmt: skip
    return await _answer(session, uris, principal, WRITE_BOOKMARKS, status, _unbookmark)


@router.get("/bookmarks")
async def bookmarked(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    member = await member_of(session, principal, READ_BOOKMARKS)
    rows = await bookmarks.bookmarked_statuses(session, member, window)
    return await _marked_page(request, session, uris, settings, member, rows, window.limit)


@router.post("/statuses/{status}/pin")
async def pin(status: str, principal: Caller, session: SessionDep,
              uris: UrisDep) -> JSONResponse:  # fmt: skip
    return await _answer(session, uris, principal, WRITE_ACCOUNTS, status, pins.pin)


@router.post("/statuses/{status}/unpin")
async def unpin(status: str, principal: Caller, session: SessionDep,
                uris: UrisDep) -> JSONResponse:  # fmt: skip
    return await _answer(session, uris, principal, WRITE_ACCOUNTS, status, pins.unpin)
