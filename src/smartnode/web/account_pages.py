"""Rendering the account pages (sign-in, invitation, reset, second factor, sessions, apps):
in the viewer's language, never cached, never indexed, with the CSRF cookie set when new."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartnode.accounts.sessions import FULL, Started
from smartnode.config import Settings
from smartnode.storage.models_accounts import Account
from smartnode.web.forms import Csrf, set_session_cookie
from smartnode.web.pages import render
from smartnode.web.viewer import page_language

# same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on the page's own
# form posts, which the same-origin check must refuse; other sites still get no referrer.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
#: No other site may frame these pages (a hidden button under a decoy).
NOT_FRAMED = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


@dataclass(frozen=True, slots=True)
class Frame:
    """What every account page needs of its viewer: the language and whether they signed in.
    Taken before the route's transaction (a rollback expires the viewer's rows)."""

    language: str
    signed_in: bool


def render_framed(
    request: Request, template: str, frame: Frame, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """An account page in the frame's language with a CSRF token for its forms; never cached,
    never indexed, never framed."""
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


def render_account_page(
    request: Request,
    template: str,
    *,
    account: Account | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """An account page in the language of `account` (else the browser's, else the node's)."""
    settings: Settings = request.app.state.settings
    signed_in = account is not None and account.state == "active"
    frame = Frame(page_language(request, settings, account), signed_in)
    return render_framed(request, template, frame, status_code=status_code, account=account,
                         **context)  # fmt: skip


def safe_next(url: str | None, default: str = "/account") -> str:
    """A path on this node to go to after a form (`next`), never another site."""
    url = url or ""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 2000:
        return default
    return url


def see_other(url: str) -> RedirectResponse:
    """The answer to a POST that worked: go to `url` (never a foreign one)."""
    return RedirectResponse(safe_next(url), status_code=303, headers=dict(NO_STORE))


def signed_in(request: Request, started: Started, next_url: str | None) -> RedirectResponse:
    """After a first factor: set the new session's cookie and go on to `next`, or to the
    second factor first when one is owed (`/signin/second-factor`)."""
    settings: Settings = request.app.state.settings
    target = safe_next(next_url)
    if started.row.level != FULL:
        target = f"/signin/second-factor?{urlencode({'next': target})}"
    response = see_other(target)
    set_session_cookie(response, settings, started.token)
    return response
