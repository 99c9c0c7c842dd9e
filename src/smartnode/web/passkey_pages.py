"""The member's passkeys (/account/passkeys): the list (name, added, last used), renaming and
removing (plain forms), and adding one (a script: options, navigator.credentials.create(),
then the answer checked here). Every page works without JavaScript except the ceremony."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.passkey_challenges import REGISTER, take_challenge
from smartnode.accounts.passkeys import (
    MAX_NAME,
    PasskeyRefused,
    passkeys_of,
    register_passkey,
    registration_options,
    remove_passkey,
    rename_passkey,
)
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import Settings
from smartnode.errors import BadRequest
from smartnode.federation.signer import utc_now
from smartnode.web.account_pages import see_other
from smartnode.web.factor_render import Page, form_refused, page_of, render_page, when
from smartnode.web.forms import FormRefused, check_form
from smartnode.web.i18n import N_, gettext, using
from smartnode.web.oauth_render import sign_in_first, signed_in_viewer
from smartnode.web.passkey_json import (
    FORM_EXPIRED,
    NOT_JSON,
    answer,
    ceremony_cookie_name,
    check_script_request,
    clear_ceremony_cookie,
    json_body,
    refusal,
    set_ceremony_cookie,
)
from smartnode.web.viewer import Viewer, page_language

router = APIRouter(include_in_schema=False)
PASSKEYS_URL = "/account/passkeys"
SIGN_IN_AGAIN = N_("You are signed out. Sign in again, then add the passkey.")
DONE = {
    "added": N_("The passkey was added."),
    "renamed": N_("The passkey was renamed."),
    "removed": N_("The passkey was removed."),
}


async def _list_page(
    request: Request,
    session: AsyncSession,
    viewer: Viewer,
    page: Page,
    *,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    async with session.begin():
        await session.refresh(viewer.account)  # a rolled-back change expired it
        passkeys = await passkeys_of(session, viewer.account)
    rows = [
        {
            "id": passkey.id,
            "name": passkey.name,
            "created_at": when(passkey.created_at, page.language),
            "last_used_at": when(passkey.last_used_at, page.language),
        }
        for passkey in passkeys
    ]
    with using(page.language):
        suggested = gettext("Passkey %(number)s", number=len(rows) + 1)
    return render_page(
        request, "account/passkeys.html", page, status_code=status_code, passkeys=rows,
        suggested_name=suggested, max_name=MAX_NAME, **context,
    )  # fmt: skip


@router.get(PASSKEYS_URL, response_model=None)
async def passkeys_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(PASSKEYS_URL)
    page = page_of(request, settings, viewer.account, True)
    done = DONE.get(request.query_params.get("done", ""))
    return await _list_page(request, session, viewer, page, done=done)


@router.post(PASSKEYS_URL + "/options", response_model=None)
async def add_options(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Options for adding a passkey, with the ceremony cookie."""
    viewer = await signed_in_viewer(request, session, settings)
    language = page_language(request, settings, viewer.account if viewer else None)
    try:
        check_script_request(request, settings)
    except FormRefused:
        return refusal(FORM_EXPIRED, FormRefused.code, 403, language)
    if viewer is None:
        return refusal(SIGN_IN_AGAIN, "not_signed_in", 401, language)
    async with session.begin():
        token, options = await registration_options(
            session, settings, viewer.account, viewer.actor, utc_now()
        )
    response = answer(options)
    set_ceremony_cookie(response, settings, token)
    return response


def _name_of(body: dict[str, Any], language: str) -> str:
    name = body.get("name")
    name = " ".join(name.split())[:MAX_NAME] if isinstance(name, str) else ""
    if not name:
        with using(language):
            name = gettext("Passkey")
    return name


@router.post(PASSKEYS_URL + "/verify", response_model=None)
async def add_passkey(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The authenticator's answer: checked, and the passkey kept; where to go next."""
    viewer = await signed_in_viewer(request, session, settings)
    language = page_language(request, settings, viewer.account if viewer else None)
    try:
        check_script_request(request, settings)
        body = await json_body(request)
    except FormRefused:
        return refusal(FORM_EXPIRED, FormRefused.code, 403, language)
    except BadRequest:
        return refusal(NOT_JSON, BadRequest.code, 400, language)
    if viewer is None:
        return refusal(SIGN_IN_AGAIN, "not_signed_in", 401, language)
    credential = body.get("credential")
    now = utc_now()
    async with session.begin():  # the challenge is used up even when the answer is refused
        taken = await take_challenge(
            session, request.cookies.get(ceremony_cookie_name(settings)), REGISTER, now
        )
    response: JSONResponse
    try:
        async with session.begin():
            await register_passkey(
                session, settings, viewer.account, taken,
                credential if isinstance(credential, dict) else {}, _name_of(body, language), now,
            )  # fmt: skip
        response = answer({"redirect": f"{PASSKEYS_URL}?done=added"})
    except PasskeyRefused as refused:
        response = refusal(refused.reason, refused.code, refused.status_code, language)
    clear_ceremony_cookie(response, settings)
    return response


async def _changed(
    request: Request, session: AsyncSession, settings: Settings, passkey_id: int, action: str
) -> HTMLResponse | RedirectResponse:
    """Rename or remove one of the member's passkeys (a plain form)."""
    form = await request.form()
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(PASSKEYS_URL)
    page = page_of(request, settings, viewer.account, True)
    try:
        check_form(request, settings, form)
    except FormRefused:
        return form_refused(request, page, PASSKEYS_URL)
    name = str(form.get("name", ""))[:500]
    try:
        async with session.begin():
            if action == "renamed":
                await rename_passkey(session, viewer.account, passkey_id, name)
            else:
                await remove_passkey(session, viewer.account, passkey_id)
    except PasskeyRefused as refused:
        return await _list_page(request, session, viewer, page, status_code=409,
                                error=refused.reason)  # fmt: skip
    return see_other(f"{PASSKEYS_URL}?done={action}")


@router.post(PASSKEYS_URL + "/{passkey_id}/rename", response_model=None)
async def rename(
    passkey_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    return await _changed(request, session, settings, passkey_id, "renamed")


@router.post(PASSKEYS_URL + "/{passkey_id}/remove", response_model=None)
async def remove(
    passkey_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    return await _changed(request, session, settings, passkey_id, "removed")
