"""Signing in and out, invitations and password resets: plain forms, in the viewer's language.

Every answer to a wrong name or password is the same words and the same work; mail goes out
after the answer (a background task), so timing does not tell whether an account exists.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartnode.accounts.accounts import peek_link
from smartnode.accounts.mail import send_mail
from smartnode.accounts.onboarding import (
    accept_invitation,
    request_reset,
    reset_password,
    reset_url,
)
from smartnode.accounts.passwords import WeakPassword, sign_in_with_password
from smartnode.accounts.sessions import end_session, start_session
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import Settings
from smartnode.errors import TooManyRequests
from smartnode.federation.signer import utc_now
from smartnode.web.account_pages import render_account_page, safe_next, see_other, signed_in
from smartnode.web.forms import check_form, clear_session_cookie
from smartnode.web.i18n import N_
from smartnode.web.mail_text import reset_mail
from smartnode.web.provider_pages import provider_button
from smartnode.web.viewer import page_language, session_of

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=2000)]
Secret = Annotated[str, Form(max_length=1000)]
WRONG = N_("The name or the password is not right.")
SUSPENDED = N_("This account is suspended. Ask the cooperative's staff.")
SLOW_DOWN = N_("Too many attempts. Wait a few minutes, then try again.")
LINK_GONE = N_("This link does not work any more: it was used already, or it expired.")


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _slowed(request: Request, exc: TooManyRequests, template: str, **context: Any) -> Response:
    response = render_account_page(request, template, status_code=429, error=SLOW_DOWN, **context)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _ways_in(settings: Settings) -> dict[str, Any]:
    """What the sign-in and invitation pages offer besides a password."""
    return {"provider_name": provider_button(settings)}


@router.get("/signin")
async def signin_form(
    request: Request, settings: SettingsDep, next: str | None = None, signed_out: bool = False
) -> HTMLResponse:
    return render_account_page(request, "account/signin.html", next=safe_next(next), typed="",
                               signed_out=signed_out, **_ways_in(settings))  # fmt: skip


@router.post("/signin")
async def signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    name: Field = "",
    password: Secret = "",
    next: Field = "",
) -> Response:
    form = await request.form()
    check_form(request, settings, form)
    now, target = utc_now(), safe_next(next)
    context: dict[str, Any] = {"next": target, "typed": name, **_ways_in(settings)}
    try:
        async with session.begin():
            outcome = await sign_in_with_password(session, name, password, _address(request), now)
            if outcome.account is None:
                refusal = SUSPENDED if outcome.refusal == "suspended" else WRONG
            else:
                started = await start_session(
                    session, settings, outcome.account, now, method="password",
                    user_agent=request.headers.get("user-agent", ""), address=_address(request),
                )  # fmt: skip
                return signed_in(request, started, target)
    except TooManyRequests as exc:
        return _slowed(request, exc, "account/signin.html", **context)
    return render_account_page(
        request, "account/signin.html", status_code=401, error=refusal, **context
    )


@router.post("/signout")
async def signout(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    form = await request.form()
    check_form(request, settings, form)
    found = await session_of(request, session, settings)
    if found is not None:
        async with session.begin():
            await end_session(session, found[1], found[0].id)
    response: RedirectResponse = see_other("/signin?signed_out=1")
    clear_session_cookie(response, settings)
    return response


@router.get("/invitation/{token}")
async def invitation_form(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> HTMLResponse:
    async with session.begin():
        account = await peek_link(session, token, "invite", utc_now())
    if account is None:
        return render_account_page(request, "account/link_gone.html", status_code=410,
                                   message=LINK_GONE)  # fmt: skip
    return render_account_page(request, "account/invitation.html", token=token,
                               **_ways_in(settings))  # fmt: skip


@router.post("/invitation/{token}")
async def invitation(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: str,
    password: Secret = "",
    choice: Field = "password",
) -> Response:
    form = await request.form()
    check_form(request, settings, form)
    now = utc_now()
    try:
        async with session.begin():
            chosen = password if choice == "password" else None
            account = await accept_invitation(session, token, chosen, now)
            if account is None:
                return render_account_page(request, "account/link_gone.html", status_code=410,
                                           message=LINK_GONE)  # fmt: skip
            started = await start_session(
                session, settings, account, now, method="link",
                user_agent=request.headers.get("user-agent", ""), address=_address(request),
            )  # fmt: skip
    except WeakPassword as exc:
        return render_account_page(request, "account/invitation.html", status_code=422,
                                   token=token, password_error=exc.reason)  # fmt: skip
    return signed_in(request, started, "/account" if chosen else "/account/passkeys")


@router.get("/reset")
async def reset_form(request: Request) -> HTMLResponse:
    return render_account_page(request, "account/reset_request.html", typed="")


@router.post("/reset")
async def reset_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    name: Field = "",
) -> Response:
    form = await request.form()
    check_form(request, settings, form)
    async with session.begin():
        made = await request_reset(session, settings, name, utc_now())
    if made is not None and made.account.email:
        language = page_language(request, settings, made.account)
        mail = reset_mail(settings, made.account.email, language, name=made.actor.name,
                          url=reset_url(settings, made.link.token),
                          minutes=settings.reset_minutes)  # fmt: skip
        background.add_task(send_mail, settings, mail)
    return render_account_page(request, "account/reset_sent.html")


@router.get("/reset/{token}")
async def reset_password_form(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    async with session.begin():
        account = await peek_link(session, token, "reset", utc_now())
    if account is None:
        return render_account_page(request, "account/link_gone.html", status_code=410,
                                   message=LINK_GONE)  # fmt: skip
    return render_account_page(request, "account/reset.html", token=token)


@router.post("/reset/{token}")
async def reset(
    request: Request, session: SessionDep, settings: SettingsDep, token: str, password: Secret = ""
) -> Response:
    form = await request.form()
    check_form(request, settings, form)
    now = utc_now()
    try:
        async with session.begin():
            account = await reset_password(session, token, password, now)
            if account is None:
                return render_account_page(request, "account/link_gone.html", status_code=410,
                                           message=LINK_GONE)  # fmt: skip
            started = await start_session(
                session, settings, account, now, method="password",
                user_agent=request.headers.get("user-agent", ""), address=_address(request),
            )  # fmt: skip
    except WeakPassword as exc:
        return render_account_page(request, "account/reset.html", status_code=422, token=token,
                                   password_error=exc.reason)  # fmt: skip
    return signed_in(request, started, "/account")
