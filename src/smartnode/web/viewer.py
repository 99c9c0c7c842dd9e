"""Who is looking at a page: the signed-in member of the session cookie (if any) and the
language the page is shown in."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts import principal as principals
from smartnode.accounts.accounts import member_of
from smartnode.accounts.sessions import FULL, find_session
from smartnode.config import Settings
from smartnode.errors import NotFound
from smartnode.federation.signer import utc_now
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import Account, WebSession
from smartnode.web.forms import session_cookie_name
from smartnode.web.i18n import negotiate


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in member: their account, session row and actor."""

    account: Account
    web_session: WebSession
    actor: Actor

    @property
    def principal(self) -> principals.Principal:
        return principals.member(self.actor.id)


async def session_of(
    request: Request, session: AsyncSession, settings: Settings
) -> tuple[WebSession, Account] | None:
    """The live session row (full or partial) of the request's cookie, in its own commit."""
    token = request.cookies.get(session_cookie_name(settings))
    if not token:
        return None
    async with session.begin():
        return await find_session(session, settings, token, utc_now())


async def viewer_of(request: Request, session: AsyncSession, settings: Settings) -> Viewer | None:
    """The signed-in member (a full session) of this request, or None; read in its own
    commit, so the route is free to begin its transaction."""
    token = request.cookies.get(session_cookie_name(settings))
    if not token:
        return None
    async with session.begin():
        found = await find_session(session, settings, token, utc_now())
        if found is None or found[0].level != FULL:
            return None
        row, account = found
        try:
            actor = await member_of(session, account)
        except NotFound:
            return None
    return Viewer(account=account, web_session=row, actor=actor)


def page_language(request: Request, settings: Settings, account: Account | None) -> str:
    """The viewer's language: their setting, else Accept-Language, else the node's."""
    preferred = account.ui_language if account is not None else None
    return negotiate(request.headers.get("accept-language"), preferred, settings.language)
