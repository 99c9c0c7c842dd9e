"""Signing in with a passkey (scripts on the sign-in page): POST /signin/passkey/options
(optionally with the typed name) and POST /signin/passkey/verify. Success starts a FULL
session (method `passkey`) under a new cookie and tells the script where to go."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from smartnode.accounts.passkey_challenges import SIGN_IN, take_challenge
from smartnode.accounts.passkey_signin import signin_options, throttled_sign_in
from smartnode.accounts.passkeys import PasskeyRefused
from smartnode.accounts.sessions import start_session
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.errors import BadRequest, TooManyRequests
from smartnode.federation.signer import utc_now
from smartnode.web.account_pages import safe_next
from smartnode.web.factor_render import SLOW_DOWN, client_address
from smartnode.web.forms import FormRefused, set_session_cookie
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
from smartnode.web.viewer import page_language

router = APIRouter(include_in_schema=False)
MAX_TYPED = 320


@router.post("/signin/passkey/options", response_model=None)
async def passkey_options(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Options for navigator.credentials.get(): any passkey of this node, or the typed
    member's."""
    language = page_language(request, settings, None)
    try:
        check_script_request(request, settings)
        body = await json_body(request)
    except FormRefused:
        return refusal(FORM_EXPIRED, FormRefused.code, 403, language)
    except BadRequest:
        return refusal(NOT_JSON, BadRequest.code, 400, language)
    typed = body.get("name")
    typed = typed[:MAX_TYPED] if isinstance(typed, str) else ""
    async with session.begin():
        token, options = await signin_options(session, settings, typed, utc_now())
    response = answer(options)
    set_ceremony_cookie(response, settings, token)
    return response


@router.post("/signin/passkey/verify", response_model=None)
async def passkey_verify(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The authenticator's answer: a full session when it is right (JSON `redirect`)."""
    language = page_language(request, settings, None)
    try:
        check_script_request(request, settings)
        body = await json_body(request)
    except FormRefused:
        return refusal(FORM_EXPIRED, FormRefused.code, 403, language)
    except BadRequest:
        return refusal(NOT_JSON, BadRequest.code, 400, language)
    credential = body.get("credential")
    target = safe_next(body.get("next") if isinstance(body.get("next"), str) else None)
    now, address = utc_now(), client_address(request)
    async with session.begin():  # the challenge is used up even when the answer is refused
        taken = await take_challenge(
            session, request.cookies.get(ceremony_cookie_name(settings)), SIGN_IN, now
        )
    response: JSONResponse
    try:
        async with session.begin():
            outcome = await throttled_sign_in(
                session, settings, taken, credential if isinstance(credential, dict) else {},
                address, now,
            )  # fmt: skip
            if isinstance(outcome, PasskeyRefused):
                response = refusal(outcome.reason, outcome.code, outcome.status_code, language)
            else:
                started = await start_session(
                    session, settings, outcome, now, method="passkey",
                    user_agent=request.headers.get("user-agent", ""), address=address,
                )  # fmt: skip
                response = answer({"redirect": target})
                set_session_cookie(response, settings, started.token)
    except TooManyRequests as exc:
        response = refusal(SLOW_DOWN, TooManyRequests.code, 429, language, exc.retry_after)
    clear_ceremony_cookie(response, settings)
    return response
