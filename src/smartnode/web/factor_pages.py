"""The member's second factor (/account/second-factor): set up TOTP (a new seed, as text, as
an otpauth:// URI and as a QR code), turned on only by a valid code; recovery codes shown
once; new recovery codes and turning off, each confirmed by a current code.

This router also carries the second-factor sign-in step and the passkey routers, so that the
app includes one router for both factors.
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.recovery import codes_left
from smartnode.accounts.totp import begin_setup, enable, is_enabled, pending_seed
from smartnode.accounts.totp import provisioning_uri as totp_uri
from smartnode.accounts.totp_check import new_recovery_codes, turn_off
from smartnode.actors.handles import handle_for
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import Settings
from smartnode.errors import TooManyRequests
from smartnode.federation.signer import utc_now
from smartnode.web import factor_signin_pages, passkey_pages, passkey_signin_pages
from smartnode.web.account_pages import see_other
from smartnode.web.factor_render import (
    SLOW_DOWN,
    Page,
    client_address,
    form_refused,
    page_of,
    render_page,
    slowed,
    when,
)
from smartnode.web.forms import FormRefused, check_form
from smartnode.web.i18n import N_, gettext, using
from smartnode.web.oauth_render import sign_in_first, signed_in_viewer
from smartnode.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
FACTOR_URL = "/account/second-factor"
SETUP_URL = FACTOR_URL + "/setup"
Code = Annotated[str, Form(max_length=200)]
WRONG_CODE = N_("This code is not right, or it was used already. Try the next one.")
DONE = {
    "on": N_("The second step is on. Keep your recovery codes somewhere safe."),
    "off": N_("The second step is off."),
}


def _handle(viewer: Viewer, settings: Settings) -> str:
    return handle_for(viewer.actor.username, settings.domain)


def _qr_code(uri: str, language: str) -> Markup:
    """The URI as an inline SVG QR code (made here by segno, so safe to embed)."""
    with using(language):
        title = gettext("QR code for your authenticator app")
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, title=title)
    return Markup(svg)  # noqa: S704


async def _overview(
    request: Request,
    session: AsyncSession,
    viewer: Viewer,
    page: Page,
    *,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    """The second-factor page: on or off, since when, recovery codes left."""
    account = viewer.account
    async with session.begin():
        await session.refresh(account)  # a rolled-back change expired it
        left = await codes_left(session, account) if is_enabled(account) else 0
    return render_page(
        request, "account/second_factor.html", page, status_code=status_code,
        enabled=is_enabled(account), enabled_at=when(account.totp_enabled_at, page.language),
        codes_left=left, **context,
    )  # fmt: skip


@router.get(FACTOR_URL, response_model=None)
async def second_factor_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(FACTOR_URL)
    page = page_of(request, settings, viewer.account, True)
    done = DONE.get(request.query_params.get("done", ""))
    return await _overview(request, session, viewer, page, done=done)


@router.post(SETUP_URL, response_model=None)
async def start_setup(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """A new pending seed (the factor is not on until a code from it is typed)."""
    form = await request.form()
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(FACTOR_URL)
    page = page_of(request, settings, viewer.account, True)
    try:
        check_form(request, settings, form)
    except FormRefused:
        return form_refused(request, page, FACTOR_URL)
    if is_enabled(viewer.account):
        return see_other(FACTOR_URL)
    async with session.begin():
        await begin_setup(session, settings, viewer.account, utc_now())
    return see_other(SETUP_URL)


def _setup_page(
    request: Request,
    settings: Settings,
    viewer: Viewer,
    page: Page,
    seed: str,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    uri = totp_uri(seed, handle=_handle(viewer, settings), issuer=settings.node_name)
    grouped = " ".join(seed[i : i + 4] for i in range(0, len(seed), 4))
    return render_page(
        request, "account/totp_setup.html", page, seed=grouped, uri=uri,
        qr=_qr_code(uri, page.language), handle=_handle(viewer, settings),
        status_code=status_code, error=error,
    )  # fmt: skip


@router.get(SETUP_URL, response_model=None)
async def setup_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """The pending seed, to put into an authenticator app, and the form for its first code."""
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(SETUP_URL)
    seed = pending_seed(settings, viewer.account)
    if seed is None:
        return see_other(FACTOR_URL)
    page = page_of(request, settings, viewer.account, True)
    return _setup_page(request, settings, viewer, page, seed)


@router.post(FACTOR_URL + "/enable", response_model=None)
async def enable_factor(
    request: Request, session: SessionDep, settings: SettingsDep, code: Code = ""
) -> HTMLResponse | RedirectResponse:
    """A valid first code turns the factor on; the recovery codes are shown, once."""
    form = await request.form()
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(FACTOR_URL)
    page = page_of(request, settings, viewer.account, True)
    try:
        check_form(request, settings, form)
    except FormRefused:
        return form_refused(request, page, SETUP_URL)
    seed = pending_seed(settings, viewer.account)
    if seed is None:
        return see_other(FACTOR_URL)
    async with session.begin():
        codes = await enable(session, settings, viewer.account, code, utc_now())
    if codes is None:
        return _setup_page(request, settings, viewer, page, seed, status_code=422, error=WRONG_CODE)
    return render_page(request, "account/totp_recovery_codes.html", page, codes=codes,
                       first=True)  # fmt: skip


async def _confirmed_change(
    request: Request, session: AsyncSession, settings: Settings, action: str
) -> HTMLResponse | RedirectResponse:
    """New recovery codes (`codes`) or turning off (`off`), confirmed by a current code."""
    form = await request.form()
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(FACTOR_URL)
    page = page_of(request, settings, viewer.account, True)
    try:
        check_form(request, settings, form)
    except FormRefused:
        return form_refused(request, page, FACTOR_URL)
    if not is_enabled(viewer.account):
        return see_other(FACTOR_URL)
    typed, address = str(form.get("code", ""))[:200], client_address(request)
    done: list[str] | bool | None
    try:
        async with session.begin():
            if action == "codes":
                done = await new_recovery_codes(
                    session, settings, viewer.account, typed, address, utc_now()
                )
            else:
                done = await turn_off(session, settings, viewer.account, typed, address, utc_now())
    except TooManyRequests as exc:
        response = await _overview(request, session, viewer, page, status_code=429,
                                   errors={action: SLOW_DOWN})  # fmt: skip
        return slowed(response, exc.retry_after)
    if isinstance(done, list):
        return render_page(request, "account/totp_recovery_codes.html", page, codes=done)
    if done:
        return see_other(FACTOR_URL + "?done=off")
    return await _overview(request, session, viewer, page, status_code=422,
                           errors={action: WRONG_CODE})  # fmt: skip


@router.post(FACTOR_URL + "/recovery-codes", response_model=None)
async def regenerate_codes(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    return await _confirmed_change(request, session, settings, "codes")


@router.post(FACTOR_URL + "/disable", response_model=None)
async def disable_factor(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    return await _confirmed_change(request, session, settings, "off")


router.include_router(factor_signin_pages.router)
router.include_router(passkey_pages.router)
router.include_router(passkey_signin_pages.router)
