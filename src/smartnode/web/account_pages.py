"""Rendering the account pages (sign-in, invitation, reset, second factor, sessions, apps):
in the viewer's language, never cached, never indexed, with the CSRF cookie set when new."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartnode.config import Settings
from smartnode.storage.models_accounts import Account
from smartnode.web.forms import Csrf
from smartnode.web.pages import render
from smartnode.web.viewer import page_language

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def render_account_page(
    request: Request,
    template: str,
    *,
    account: Account | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """An account page in the viewer's language, with a CSRF token for its forms."""
    settings: Settings = request.app.state.settings
    csrf = Csrf(request, settings)
    response = render(
        request,
        template,
        status_code=status_code,
        headers=dict(NO_STORE),
        lang=page_language(request, settings, account),
        csrf=csrf.token,
        noindex=True,
        signed_in=account is not None and account.state == "active",
        **context,
    )
    csrf.set_on(response)
    return response


def see_other(url: str) -> RedirectResponse:
    """The answer to a POST that worked: go to `url` (never a foreign one)."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        url = "/account"
    return RedirectResponse(url, status_code=303, headers=dict(NO_STORE))
