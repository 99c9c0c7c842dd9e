"""The language switcher (`/language?set=sv&next=/path`): works without JavaScript; a visitor's
choice is kept in a cookie, a signed-in member's also becomes their account's setting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from smartnode.accounts.accounts import set_ui_language
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import UI_LANGUAGES, Settings
from smartnode.federation.signer import utc_now
from smartnode.web.viewer import language_cookie_name, viewer_of

router = APIRouter(include_in_schema=False)
#: A visitor's choice is kept a year.
COOKIE_SECONDS = 365 * 24 * 3600
_NOT_CACHED = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def local_path(url: str | None) -> str:
    """`url` if it is a path on this node, else `/`: never another site (no `//host`, no
    backslash, no control or space characters browsers would drop or rewrite)."""
    url = url or ""
    if not url.startswith("/") or url.startswith("//") or len(url) > 2000:
        return "/"
    if any(c == "\\" or c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "/"
    return url


@router.get("/language")
async def choose_language(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    chosen: Annotated[str, Query(alias="set", max_length=8)] = "",
    next_url: Annotated[str, Query(alias="next", max_length=2000)] = "/",
) -> Response:
    """Keep the chosen language and go back to the page the switcher was on."""
    response = RedirectResponse(local_path(next_url), status_code=303, headers=_NOT_CACHED)
    if chosen not in UI_LANGUAGES:
        return response
    _set_cookie(response, settings, chosen)
    if _from_our_pages(request):
        await _keep_for_member(request, session, settings, chosen)
    return response


def _set_cookie(response: Response, settings: Settings, language: str) -> None:
    response.set_cookie(
        language_cookie_name(settings), language, max_age=COOKIE_SECONDS, path="/",
        secure=settings.secure_cookies, httponly=True, samesite="lax",
    )  # fmt: skip


def _from_our_pages(request: Request) -> bool:
    """Not a link on another site: only our own pages change an account's setting."""
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


async def _keep_for_member(
    request: Request, session: SessionDep, settings: Settings, language: str
) -> None:
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return
    async with session.begin():
        account = await session.merge(viewer.account)
        await set_ui_language(session, account, language, utc_now())
