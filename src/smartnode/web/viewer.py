"""Who is looking at a page: the signed-in member of the session cookie (if any) and the
language the page is shown in (their setting, else the switcher's cookie, else Accept-Language,
else the node's default)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from smartnode.accounts import principal as principals
from smartnode.accounts.accounts import member_of
from smartnode.accounts.sessions import FULL, find_session
from smartnode.config import UI_LANGUAGES, Settings
from smartnode.content.notice_cases import unread_count
from smartnode.errors import NotFound
from smartnode.federation.signer import utc_now
from smartnode.storage.db import Database
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


#: Where `SignedInViewer` leaves what the pages need of a signed-in viewer, and the member.
VIEWER_KEY = "smartnode.viewer"
MEMBER_KEY = "smartnode.viewer.member"
#: Paths that are never pages: no need to find their viewer.
NOT_PAGES = ("/static/", "/api/", "/.well-known/", "/oauth/token", "/nodeinfo/")


@dataclass(frozen=True, slots=True)
class PageViewer:
    """What every page shows of its viewer: signed in or not, their language setting and
    (signed in) their username and how many notifications they have not read."""

    signed_in: bool
    language: str | None
    username: str | None = None
    unread: int = 0  # notifications not read yet


def language_cookie_name(settings: Settings) -> str:
    """The switcher's cookie (a visitor's chosen language)."""
    return "__Host-language" if settings.secure_cookies else "smartnode-language"


def chosen_language(request: Request, settings: Settings) -> str | None:
    """The language a visitor chose with the switcher (its cookie), if one of ours."""
    value = request.cookies.get(language_cookie_name(settings))
    return value if value in UI_LANGUAGES else None


def page_language(request: Request, settings: Settings, account: Account | None) -> str:
    """The viewer's language: their setting, else the switcher's cookie, else
    Accept-Language, else the node's."""
    preferred = account.ui_language if account is not None else None
    if preferred not in UI_LANGUAGES:
        preferred = chosen_language(request, settings)
    return negotiate(request.headers.get("accept-language"), preferred, settings.language)


def page_viewer(request: Request) -> PageViewer:
    """The viewer `SignedInViewer` found for this request (a visitor when none)."""
    found = request.scope.get(VIEWER_KEY)
    return found if isinstance(found, PageViewer) else PageViewer(False, None)


def request_language(request: Request, settings: Settings) -> str:
    """The language of a page for this request (see `page_language`)."""
    preferred = page_viewer(request).language or chosen_language(request, settings)
    return negotiate(request.headers.get("accept-language"), preferred, settings.language)


class SignedInViewer:
    """ASGI middleware: for a page request (GET or HEAD) with a session cookie, finds the
    signed-in member once, so that every page is in their language and offers their account."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not str(scope["path"]).startswith(NOT_PAGES)
        ):
            request = Request(scope)
            settings: Settings = request.app.state.settings
            if request.cookies.get(session_cookie_name(settings)):
                scope[VIEWER_KEY], scope[MEMBER_KEY] = await _find_page_viewer(request, settings)
        await self.app(scope, receive, send)


async def _find_page_viewer(
    request: Request, settings: Settings
) -> tuple[PageViewer, Viewer | None]:
    db: Database = request.app.state.db
    async with db.session() as session:
        viewer = await viewer_of(request, session, settings)
        if viewer is None:
            return PageViewer(False, None), None
        async with session.begin():  # one indexed count per page, for the navigation
            unread = await unread_count(session, viewer.principal)
    return PageViewer(True, viewer.account.ui_language, viewer.actor.username, unread), viewer


async def page_member(request: Request) -> Viewer | None:
    """The signed-in member looking at a page: the one `SignedInViewer` found for this page
    request, else read in a session of its own (None for a visitor, without touching the
    database)."""
    if not page_viewer(request).signed_in:
        return None
    found = request.scope.get(MEMBER_KEY)
    if isinstance(found, Viewer):
        return found
    async with request.app.state.db.session() as own:
        return await viewer_of(request, own, request.app.state.settings)
