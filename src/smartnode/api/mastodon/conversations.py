"""Mastodon's conversations (content/conversations.py): the member's direct statuses grouped
by who takes part, paged by their last status with a `Link` header, marked read, deleted
(hidden until a newer status). Scopes: read:statuses to list, write:conversations to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.acting import READ_STATUSES
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_of
from smartnode.api.mastodon.entities import Renderer
from smartnode.api.mastodon.pagination import WindowDep, link_headers
from smartnode.content import conversations as talks
from smartnode.content.conversations import Conversation
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=MastodonRoute)
WRITE_CONVERSATIONS = "write:conversations"


async def conversation_entities(
    session: AsyncSession, uris: NodeUris, member: Actor, found: Sequence[Conversation]
) -> list[dict[str, Any]]:
    """Mastodon's Conversation entities: id, unread, accounts, last_status."""
    renderer = Renderer(session, uris)
    statuses = await renderer.statuses([c.last for c in found], member)
    accounts = await renderer.accounts(list({a.id: a for c in found for a in c.accounts}.values()))
    return [{"id": c.id, "unread": c.unread, "accounts": [accounts[a.id] for a in c.accounts],
             "last_status": status} for c, status in zip(found, statuses, strict=True)]  # fmt: skip


@router.get("/conversations")
async def listed(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    member = await member_of(session, principal, READ_STATUSES)
    found = await talks.conversations(session, member, window)
    links = link_headers(request, settings.base_url, [c.last[0].id for c in found], window.limit)
    return JSONResponse(await conversation_entities(session, uris, member, found), headers=links)


@router.post("/conversations/{conversation}/read")
async def read(
    conversation: str, principal: Caller, session: SessionDep, uris: UrisDep
) -> JSONResponse:
    async with session.begin():
        member = await member_of(session, principal, WRITE_CONVERSATIONS)
        found = await talks.mark_read(session, member, conversation)
    [entity] = await conversation_entities(session, uris, member, [found])
    return JSONResponse(entity)


@router.delete("/conversations/{conversation}")
async def remove(conversation: str, principal: Caller, session: SessionDep) -> JSONResponse:
    async with session.begin():
        member = await member_of(session, principal, WRITE_CONVERSATIONS)
        await talks.hide(session, member, conversation)
    return JSONResponse({})
