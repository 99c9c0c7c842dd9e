"""Block, Unblock, Mute and Unmute on members' pages, and the member's list of whom they block
and mute (/account/blocks), through the use cases the Mastodon API uses
(actors/account_blocks.py, actors/mutes.py): a block cuts the follows both ways and tells a
remote account; a mute made here lasts until undone and hides notifications too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors import account_blocks, mutes
from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.errors import NotFound, ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.windows import IdWindow
from smartnode.web.account_pages import render_account_page, see_other
from smartnode.web.apply_pages import to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.language_pages import local_path
from smartnode.web.pages import error_page
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
PATH = "/account/blocks"
#: The page lists this many of each, newest first (no pager: lists this long are rare).
SHOWN = 200
NO_ONE = N_("There is no one to block or mute at this address.")
Change = Literal["block", "unblock", "mute", "unmute"]


async def _apply(
    session: AsyncSession, request: Request, principal: Principal, change: Change, target: int
) -> None:
    now, uris = datetime.now(UTC), request.app.state.uris
    if change == "block":
        await account_blocks.block_as(session, uris, principal, target, now)
    elif change == "unblock":
        await account_blocks.unblock_as(session, uris, principal, target, now)
    elif change == "mute":
        await mutes.mute_as(session, principal, target, notifications=True, duration=0, now=now)
    else:
        await mutes.unmute_as(session, principal, target)


@router.post(PATH + "/{change}")
async def change_block(
    change: Change, request: Request, session: SessionDep, settings: SettingsDep,
    account: Annotated[int, Form(ge=1, le=2**63 - 1)], next: Annotated[str, Form()] = PATH,
) -> Response:  # fmt: skip
    """The signed-in member blocks, unblocks, mutes or unmutes `account` (its id), then goes
    back."""
    check_form(request, settings, await request.form())  # FormRefused: the 403 page
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(local_path(next))
    try:
        async with session.begin():
            await _apply(session, request, viewer.principal, change, account)
    except (NotFound, ValidationFailed):
        return error_page(request, 404, NO_ONE)
    request.app.state.documents.clear()
    return see_other(local_path(next))


def _view(actor: Actor, domain: str, until: datetime | None = None) -> dict[str, Any]:
    return {"id": actor.id, "name": actor.name or actor.username, "url": actor.url or actor.uri,
            "handle": handle_of(actor, domain), "until": until}  # fmt: skip


@router.get(PATH)
async def blocks_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Whom the member blocks and mutes, newest first, each with its Unblock or Unmute."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(PATH)
    async with session.begin():
        window = IdWindow(limit=SHOWN)
        blocked = await account_blocks.blocked_window(session, viewer.principal, window)
        muted = await mutes.muted_window(session, viewer.principal, window, datetime.now(UTC))
    return render_account_page(
        request, "account/blocks.html", account=viewer.account, back=PATH,
        blocked=[_view(actor, settings.domain) for _, actor in blocked],
        muted=[_view(actor, settings.domain, row.expires_at) for _, actor, row in muted],
    )  # fmt: skip
