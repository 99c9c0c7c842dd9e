"""The second step of a password sign-in (/signin/second-factor): a TOTP code or a recovery
code turns the partial session into a full one under a NEW token (the cookie seen before the
second factor is worth nothing after it). Wrong codes are slowed down like passwords."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartnode.accounts.sessions import FULL
from smartnode.accounts.totp_check import finish_sign_in
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.errors import TooManyRequests
from smartnode.federation.signer import utc_now
from smartnode.web.account_pages import safe_next, see_other
from smartnode.web.factor_render import (
    SLOW_DOWN,
    client_address,
    form_refused,
    page_of,
    render_page,
    slowed,
)
from smartnode.web.forms import FormRefused, check_form, set_session_cookie
from smartnode.web.i18n import N_
from smartnode.web.viewer import session_of

router = APIRouter(include_in_schema=False)
SIGNIN_FACTOR_URL = "/signin/second-factor"
Field = Annotated[str, Form(max_length=2000)]
WRONG = N_("This code is not right, or it was used already.")
TEMPLATE = "account/second_factor_signin.html"


def _start_over(target: str) -> RedirectResponse:
    """No partial session (none, expired, or signed out): back to the sign-in page."""
    return see_other(f"/signin?{urlencode({'next': target})}")


@router.get(SIGNIN_FACTOR_URL, response_model=None)
async def second_factor_form(
    request: Request, session: SessionDep, settings: SettingsDep, next: str | None = None
) -> HTMLResponse | RedirectResponse:
    target = safe_next(next)
    found = await session_of(request, session, settings)
    if found is None:
        return _start_over(target)
    row, account = found
    if row.level == FULL:
        return see_other(target)
    page = page_of(request, settings, account, False)
    return render_page(request, TEMPLATE, page, next=target)


@router.post(SIGNIN_FACTOR_URL, response_model=None)
async def give_second_factor(
    request: Request, session: SessionDep, settings: SettingsDep, code: Field = "", next: Field = ""
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    target = safe_next(next)
    found = await session_of(request, session, settings)
    if found is None or found[0].level == FULL:
        return _start_over(target)
    row, account = found
    page = page_of(request, settings, account, False)
    try:
        check_form(request, settings, form)
    except FormRefused:
        return form_refused(request, page, f"{SIGNIN_FACTOR_URL}?{urlencode({'next': target})}")
    try:
        async with session.begin():
            started = await finish_sign_in(
                session, settings, row, account, code, client_address(request), utc_now()
            )
    except TooManyRequests as exc:
        response = render_page(request, TEMPLATE, page, status_code=429, next=target,
                               error=SLOW_DOWN)  # fmt: skip
        return slowed(response, exc.retry_after)
    if started is None:
        return render_page(request, TEMPLATE, page, status_code=401, next=target, error=WRONG)
    finished = see_other(target)
    set_session_cookie(finished, settings, started.token)
    return finished
