"""The member's apps page (/account/apps): which apps may act for them, since when, last used;
a Revoke button for each."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_datetime
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartnode.accounts.oauth_grants import granted_apps, revoke_app
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.web.account_pages import see_other
from smartnode.web.forms import FormRefused, check_form
from smartnode.web.oauth_render import (
    frame_of,
    render_oauth_page,
    sign_in_first,
    signed_in_viewer,
)
from smartnode.web.oauth_scopes import scope_views

router = APIRouter(include_in_schema=False)
APPS_URL = "/account/apps"


def _when(moment: datetime | None, language: str) -> dict[str, str] | None:
    """A moment as the page shows it (in its language, UTC) and as a machine reads it."""
    if moment is None:
        return None
    shown = format_datetime(moment, format="medium", tzinfo=UTC, locale=language)
    return {"shown": f"{shown} UTC", "iso": moment.isoformat()}


@router.get(APPS_URL, response_model=None)
async def apps_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """The apps the signed-in member allowed to act for them."""
    viewer = await signed_in_viewer(request, session, settings)
    if viewer is None:
        return sign_in_first(APPS_URL)
    async with session.begin():
        apps = await granted_apps(session, viewer.principal)
    frame = frame_of(request, settings, viewer)
    rows = [
        {
            "id": app.client_id,
            "name": app.name,
            "website": app.website,
            "scopes": scope_views(app.scopes),
            "granted_at": _when(app.granted_at, frame.language),
            "last_used_at": _when(app.last_used_at, frame.language),
        }
        for app in apps
    ]
    return render_oauth_page(
        request, "account/apps.html", frame, apps=rows,
        revoked=request.query_params.get("revoked") == "1",
    )  # fmt: skip


@router.post(APPS_URL + "/{client_id}/revoke", response_model=None)
async def revoke_app_access(
    client_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """End one app's access for the signed-in member."""
    form = await request.form()
    viewer = await signed_in_viewer(request, session, settings)
    try:
        check_form(request, settings, form)
    except FormRefused:
        return render_oauth_page(
            request, "account/oauth_error.html", frame_of(request, settings, viewer),
            status_code=403, reason="form", error="",
        )  # fmt: skip
    if viewer is None:
        return sign_in_first(APPS_URL)
    async with session.begin():
        await revoke_app(session, viewer.principal, client_id)
    return see_other(f"{APPS_URL}?revoked=1")
