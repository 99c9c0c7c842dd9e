"""What the OAuth pages share: rendering in the viewer's language (or the app's `lang`),
never framed by another site (no clickjacking of a consent), and the redirects out of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import UI_LANGUAGES, Settings
from smartnode.web.account_pages import NO_STORE, see_other
from smartnode.web.forms import Csrf
from smartnode.web.pages import render
from smartnode.web.viewer import Viewer, page_language, viewer_of

#: No other site may frame these pages (a hidden consent under a decoy button).
NOT_FRAMED = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


async def signed_in_viewer(
    request: Request, session: AsyncSession, settings: Settings
) -> Viewer | None:
    """The signed-in member, with the session free for the route's own transaction
    (viewer_of reads the member after its commit, which begins another)."""
    viewer = await viewer_of(request, session, settings)
    if session.in_transaction():
        await session.commit()
    return viewer


@dataclass(frozen=True, slots=True)
class Frame:
    """What every OAuth page needs of its viewer: the language and whether they signed in."""

    language: str
    signed_in: bool


def frame_of(
    request: Request, settings: Settings, viewer: Viewer | None, wanted: str | None = None
) -> Frame:
    """`wanted` (an app's `lang`) when we speak it, else the viewer's language. Taken before
    the route's transaction: a rollback expires the viewer's rows."""
    account = viewer.account if viewer else None
    language = wanted if wanted in UI_LANGUAGES else None
    return Frame(language or page_language(request, settings, account), viewer is not None)


def render_oauth_page(
    request: Request,
    template: str,
    frame: Frame,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """An OAuth page in the frame's language, with a CSRF token for its forms; never cached,
    never framed."""
    settings: Settings = request.app.state.settings
    csrf = Csrf(request, settings)
    response = render(
        request,
        template,
        status_code=status_code,
        headers={**NO_STORE, **NOT_FRAMED},
        lang=frame.language,
        csrf=csrf.token,
        noindex=True,
        signed_in=frame.signed_in,
        **context,
    )
    csrf.set_on(response)
    return response


def sign_in_first(next_url: str) -> RedirectResponse:
    """To the sign-in page, coming back to `next_url` (a path on this node) afterwards."""
    return see_other(f"/signin?{urlencode({'next': next_url})}")


def redirect_to_app(redirect_uri: str, params: dict[str, str | None]) -> RedirectResponse:
    """Back to an app's REGISTERED redirect URI with `params` added to its query (RFC 6749
    §3.1.2: its own query is kept; registered URIs have no fragment)."""
    added = urlencode({key: value for key, value in params.items() if value is not None})
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(
        f"{redirect_uri}{joiner}{added}", status_code=303, headers=dict(NO_STORE)
    )
