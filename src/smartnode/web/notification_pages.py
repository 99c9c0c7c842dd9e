"""A member's notifications (/account/notifications): newest first, a page at a time, each in
plain words with a link to what it is about; Mark as read and Mark all as read (forms)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.content import notice_cases as cases
from smartnode.web.account_pages import render_account_page, safe_next, see_other
from smartnode.web.forms import check_form
from smartnode.web.notice_views import notice_views
from smartnode.web.viewer import page_language, viewer_of

router = APIRouter(include_in_schema=False)
PATH = "/account/notifications"
PAGE = 20
Next = Annotated[str, Form(max_length=2000)]


def _to_signin(path: str) -> Response:
    return see_other(f"/signin?{urlencode({'next': path})}")


@router.get(PATH)
async def notifications_page(
    request: Request, session: SessionDep, settings: SettingsDep,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:  # fmt: skip
    """The member's notifications, newest first; `before` an id: the older ones."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return _to_signin(PATH)
    language = page_language(request, settings, viewer.account)
    async with session.begin():
        found = await cases.my_notifications(
            session, viewer.principal, settings.domain, unread=False, lang=language,
            limit=PAGE + 1, before_id=before,
        )  # fmt: skip
        unread = await cases.unread_count(session, viewer.principal)
    more = len(found.rows) > PAGE
    found.rows[PAGE:] = []
    older = f"{PATH}?before={found.rows[-1].id}" if more else None
    back = f"{PATH}?before={before}" if before else PATH
    return render_account_page(
        request, "account/notifications.html", account=viewer.account,
        notices=notice_views(found, settings.base_url, language), unread=unread, older=older,
        newest=PATH if before else None, back=back, done=request.query_params.get("done", ""),
    )  # fmt: skip


@router.post(PATH + "/read-all")
async def mark_all_read(
    request: Request, session: SessionDep, settings: SettingsDep, next: Next = PATH
) -> Response:
    """Mark every notification of the member read."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return _to_signin(PATH)
    async with session.begin():
        await cases.mark_all_read(session, viewer.principal, datetime.now(UTC))
    return see_other(_done(next, "all"))


@router.post(PATH + "/{notification_id}/read")
async def mark_read(
    request: Request, session: SessionDep, settings: SettingsDep,
    notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)], next: Next = PATH,
) -> Response:  # fmt: skip
    """Mark one of the member's notifications read (NotFound for anyone else's)."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return _to_signin(PATH)
    async with session.begin():
        await cases.mark_read(session, viewer.principal, settings.domain, notification_id, None,
                              datetime.now(UTC))  # fmt: skip
    return see_other(_done(next, "one"))


def _done(next_url: str, what: str) -> str:
    """Back to the page the form was on, saying what was done (this page only)."""
    target = safe_next(next_url, PATH)
    if not target.startswith(PATH):
        return target
    joiner = "&" if "?" in target else "?"
    return f"{target}{joiner}done={what}"
