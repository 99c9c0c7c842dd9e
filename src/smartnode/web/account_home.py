"""A signed-in member's own pages: the account overview, language, password and sessions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from smartnode.accounts.accounts import set_ui_language
from smartnode.accounts.passwords import WeakPassword, change_password
from smartnode.accounts.sessions import end_all_sessions, end_session, list_sessions
from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import UI_LANGUAGES
from smartnode.federation.signer import utc_now
from smartnode.web.account_pages import render_account_page, see_other
from smartnode.web.forms import check_form
from smartnode.web.i18n import language_name
from smartnode.web.viewer import Viewer, viewer_of

router = APIRouter(include_in_schema=False)
Secret = Annotated[str, Form(max_length=1000)]


def _to_signin(request: Request) -> Response:
    return see_other(f"/signin?{urlencode({'next': request.url.path})}")


async def _viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer | None:
    return await viewer_of(request, session, settings)


@router.get("/account")
async def account_home(
    request: Request, session: SessionDep, settings: SettingsDep, done: str = ""
) -> Response:
    viewer = await _viewer(request, session, settings)
    if viewer is None:
        return _to_signin(request)
    languages = [(code, language_name(code)) for code in UI_LANGUAGES]
    return render_account_page(
        request, "account/home.html", account=viewer.account, member=viewer.actor,
        handle=handle_of(viewer.actor, settings.domain), languages=languages, done=done,
        has_password=viewer.account.password_hash is not None,
        has_totp=viewer.account.totp_enabled_at is not None,
    )  # fmt: skip


@router.post("/account/language")
async def account_language(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    check_form(request, settings, await request.form())
    viewer = await _viewer(request, session, settings)
    if viewer is None:
        return _to_signin(request)
    async with session.begin():
        account = await session.merge(viewer.account)
        await set_ui_language(session, account, language or None, utc_now())
    return see_other("/account?done=language")


@router.get("/account/password")
async def password_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    viewer = await _viewer(request, session, settings)
    if viewer is None:
        return _to_signin(request)
    return render_account_page(request, "account/password.html", account=viewer.account,
                               has_password=viewer.account.password_hash is not None)  # fmt: skip


@router.post("/account/password")
async def password_change(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    current: Secret = "",
    password: Secret = "",
) -> Response:
    check_form(request, settings, await request.form())
    viewer = await _viewer(request, session, settings)
    if viewer is None:
        return _to_signin(request)
    has_password = viewer.account.password_hash is not None
    try:
        async with session.begin():
            account = await session.merge(viewer.account)
            refusal = await change_password(
                session, account, viewer.actor, current, password, utc_now(),
                keep_session=viewer.web_session.id,
            )  # fmt: skip
    except WeakPassword as exc:
        return render_account_page(request, "account/password.html", status_code=422,
                                   password_error=exc.reason, account=viewer.account,
                                   has_password=has_password)  # fmt: skip
    if refusal is not None:
        return render_account_page(request, "account/password.html", status_code=422,
                                   current_error=refusal, account=viewer.account,
                                   has_password=has_password)  # fmt: skip
    return see_other("/account?done=password")


@router.get("/account/sessions")
async def sessions_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    viewer = await _viewer(request, session, settings)
    if viewer is None:
        return _to_signin(request)
    async with session.begin():
        rows = await list_sessions(session, viewer.account)
    return render_account_page(request, "account/sessions.html", account=viewer.account,
                               sessions=rows, current=viewer.web_session.id)  # fmt: skip


@router.post("/account/sessions/{session_id}/end")
async def session_end(
    request: Request, session: SessionDep, settings: SettingsDep, session_id: int
) -> Response:
    check_form(request, settings, await request.form())
    viewer = await _viewer(request, session, settings)
    if viewer is None:
        return _to_signin(request)
    async with session.begin():
        await end_session(session, viewer.account, session_id)
    return see_other("/account/sessions")


@router.post("/account/sessions/end-others")
async def sessions_end_others(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    check_form(request, settings, await request.form())
    viewer = await _viewer(request, session, settings)
    if viewer is None:
        return _to_signin(request)
    async with session.begin():
        await end_all_sessions(session, viewer.account, keep=viewer.web_session.id)
    return see_other("/account/sessions")
