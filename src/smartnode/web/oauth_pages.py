"""The authorization endpoint (GET and POST /oauth/authorize): the member's consent page.

A request whose app or redirect URI is wrong gets an error page and never a redirect (no open
redirect); other refusals go back to the registered URI. Not signed in: to /signin first.
Allow sends a code (never a token) to the app, or shows it for `urn:ietf:wg:oauth:2.0:oob`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.oauth_clients import OOB
from smartnode.accounts.oauth_codes import (
    AuthorizationRequest,
    check_authorization_request,
    issue_code,
)
from smartnode.accounts.oauth_errors import ACCESS_DENIED, INVALID_CLIENT, OAuthError
from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.federation.signer import utc_now
from smartnode.web.account_pages import Frame
from smartnode.web.forms import FormRefused, check_form
from smartnode.web.oauth_render import (
    frame_of,
    redirect_to_app,
    render_oauth_page,
    sign_in_first,
    signed_in_viewer,
)
from smartnode.web.oauth_scopes import scope_views
from smartnode.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
REQUEST_FIELDS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
    "code_challenge_method",
)  # fmt: skip
PAGE_FIELDS = (*REQUEST_FIELDS, "lang")


def _fields(source: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str | None]:
    """The named text values of a query or form; empty ones as None."""
    return {name: value if isinstance(value := source.get(name), str) and value else None
            for name in names}  # fmt: skip


def _authorize_url(fields: dict[str, str | None]) -> str:
    """This endpoint's URL for the same request (where sign-in comes back to)."""
    kept = {name: value for name, value in fields.items() if value is not None}
    return f"/oauth/authorize?{urlencode(kept)}"


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def _refused(
    request: Request, refusal: OAuthError, fields: dict[str, str | None], frame: Frame
) -> HTMLResponse | RedirectResponse:
    """Back to the app's registered URI with the error, or an error page when there is none
    (or it is out of band)."""
    if refusal.redirect_uri is not None and refusal.redirect_uri != OOB:
        return redirect_to_app(
            refusal.redirect_uri,
            {"error": refusal.error, "error_description": refusal.message,
             "state": fields.get("state")},
        )  # fmt: skip
    if refusal.error == INVALID_CLIENT:
        reason = "client"  # no such app
    elif refusal.redirect_uri is None:
        reason = "redirect"  # a redirect URI the app did not register
    else:
        reason = "request"  # anything else, for an app without a redirect URI
    return render_oauth_page(
        request, "account/oauth_error.html", frame, status_code=400, reason=reason,
        error=refusal.error,
    )  # fmt: skip


def _consent(
    request: Request,
    checked: AuthorizationRequest,
    viewer: Viewer,
    fields: dict[str, str | None],
    frame: Frame,
) -> HTMLResponse:
    settings = request.app.state.settings
    hidden = {name: value for name, value in fields.items() if value is not None}
    hidden["redirect_uri"], hidden["scope"] = checked.redirect_uri, " ".join(checked.scopes)
    return render_oauth_page(
        request, "account/oauth_authorize.html", frame, app=checked.client,
        scopes=scope_views(checked.scopes), hidden=hidden,
        member_name=viewer.actor.name, member_handle=handle_of(viewer.actor, settings.domain),
        switch_url=f"/signin?{urlencode({'next': _authorize_url(fields)})}",
    )  # fmt: skip


async def _checked(session: AsyncSession, fields: dict[str, str | None]) -> AuthorizationRequest:
    request_fields = {name: fields[name] for name in REQUEST_FIELDS}
    return await check_authorization_request(session, **request_fields)


@router.get("/oauth/authorize", response_model=None)
async def authorize_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """Check the app's request, then ask the signed-in member (sign in first otherwise)."""
    fields = _fields(request.query_params, PAGE_FIELDS)
    viewer = await signed_in_viewer(request, session, settings)
    frame = frame_of(request, settings, viewer, fields["lang"])
    try:
        async with session.begin():
            checked = await _checked(session, fields)
    except OAuthError as refusal:
        return _refused(request, refusal, fields, frame)
    if viewer is None or _truthy(request.query_params.get("force_login")):
        return sign_in_first(_authorize_url(fields))  # force_login: sign-in comes back here
    return _consent(request, checked, viewer, fields, frame)


@router.post("/oauth/authorize", response_model=None)
async def authorize_decision(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """Allow: a code to the app (or shown, out of band). Deny: `access_denied` to the app."""
    form = await request.form()
    fields = _fields(form, PAGE_FIELDS)
    viewer = await signed_in_viewer(request, session, settings)
    frame = frame_of(request, settings, viewer, fields["lang"])
    try:
        check_form(request, settings, form)
    except FormRefused:
        return render_oauth_page(
            request, "account/oauth_error.html", frame, status_code=403, reason="form", error=""
        )  # fmt: skip
    if viewer is None:
        return sign_in_first(_authorize_url(fields))
    allow = form.get("decision") == "allow"
    try:
        async with session.begin():
            checked = await _checked(session, fields)
            code = await issue_code(session, checked, viewer.account, utc_now()) if allow else None
    except OAuthError as refusal:
        return _refused(request, refusal, fields, frame)
    if checked.redirect_uri == OOB:
        return render_oauth_page(
            request, "account/oauth_code.html", frame, app=checked.client, code=code
        )  # fmt: skip
    if code is None:
        return redirect_to_app(
            checked.redirect_uri, {"error": ACCESS_DENIED, "state": checked.state}
        )
    return redirect_to_app(checked.redirect_uri, {"code": code, "state": checked.state})
