"""Mastodon's timelines: home (the member's, content/timeline.py, with the boosts of those they
follow as reblogs), public (`local`, `remote`,
`only_media`) and a hashtag's, newest first, paged by status id with a `Link` header. Those
the member blocks, mutes or is blocked by are left out of each (actors/hiding.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_STATUSES
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_of, readable
from smartnode.api.mastodon.entities import Renderer, iso_ms
from smartnode.api.mastodon.pagination import WindowDep, link_headers
from smartnode.api.mastodon.status_actions import reblog_entity
from smartnode.content import statuses
from smartnode.content.threads import Item
from smartnode.content.timeline import boosters, home_timeline

router = APIRouter(prefix="/api/v1/timelines", include_in_schema=False, route_class=MastodonRoute)
ReadStatuses = Annotated[Principal, Depends(readable(READ_STATUSES))]


async def _answer(
    request: Request, session: SessionDep, uris: UrisDep, base_url: str, items: list[Item],
    limit: int, principal: Principal,
) -> JSONResponse:  # fmt: skip
    reader = await statuses.reader_of(session, principal)
    rendered = await Renderer(session, uris).statuses(items, reader.actor)
    links = link_headers(request, base_url, [obj.id for obj, _ in items], limit)
    return JSONResponse(rendered, headers=links)


@router.get("/home")
async def home(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    member = await member_of(session, principal, READ_STATUSES)
    items = await home_timeline(session, member, limit=window.limit, window=window, boosts=True)
    renderer = Renderer(session, uris)
    rendered = await renderer.statuses(items, member)
    boosts = await boosters(session, member, items)
    accounts = await renderer.accounts([actor for actor, _ in boosts.values()])
    for index, (obj, _) in enumerate(items):
        if obj.id in boosts:  # there as a boost: shown as the reblog it is
            actor, boost = boosts[obj.id]
            rendered[index] = reblog_entity(rendered[index], accounts[actor.id], boost.uri,
                                            iso_ms(boost.created_at))  # fmt: skip
    links = link_headers(request, settings.base_url, [obj.id for obj, _ in items], window.limit)
    return JSONResponse(rendered, headers=links)


@router.get("/public")
async def public(
    request: Request, principal: ReadStatuses, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep, local: bool = False, remote: bool = False,
    only_media: bool = False,
) -> JSONResponse:  # fmt: skip
    reader = await statuses.reader_of(session, principal)
    items = await statuses.public_statuses(session, window, local=local, remote=remote,
                                           only_media=only_media, viewer=reader.actor)  # fmt: skip
    return await _answer(request, session, uris, settings.base_url, items, window.limit,
                         principal)  # fmt: skip


@router.get("/tag/{hashtag}")
async def tag(
    hashtag: Annotated[str, Path(min_length=1, max_length=100)], request: Request,
    principal: ReadStatuses, session: SessionDep, uris: UrisDep, settings: SettingsDep,
    window: WindowDep, local: bool = False, remote: bool = False,
) -> JSONResponse:  # fmt: skip
    reader = await statuses.reader_of(session, principal)
    items = await statuses.tagged_statuses(session, hashtag, window, local=local, remote=remote,
                                           viewer=reader.actor)  # fmt: skip
    return await _answer(request, session, uris, settings.base_url, items, window.limit,
                         principal)  # fmt: skip
