"""What the passkey JSON endpoints share: the CSRF check for scripts (the browser's Origin
must be the node's and the `X-CSRF-Token` header must carry the page's form token), the
ceremony cookie (bound to one challenge, five minutes, sent to no other site), reading the
body, and refusals in the API's error shape with words in the viewer's language."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from smartnode.accounts.passkey_challenges import LIFETIME
from smartnode.config import Settings
from smartnode.errors import BadRequest
from smartnode.web.forms import CSRF_FIELD, FormRefused, check_form
from smartnode.web.i18n import N_, gettext, using

CSRF_HEADER = "x-csrf-token"
FORM_EXPIRED = N_("This page has expired. Reload it and try again.")
NOT_JSON = N_("The request could not be read. Reload the page and try again.")


def ceremony_cookie_name(settings: Settings) -> str:
    return "__Host-passkey" if settings.secure_cookies else "smartnode-passkey"


def check_script_request(request: Request, settings: Settings) -> None:
    """FormRefused unless a same-origin script sent the page's CSRF token as a header (JSON
    requests always carry Origin in browsers; one without it is refused)."""
    if request.headers.get("origin", "").rstrip("/") != settings.base_url:
        raise FormRefused("this request was sent from another site")
    check_form(request, settings, {CSRF_FIELD: request.headers.get(CSRF_HEADER, "")})


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; BadRequest for anything else."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise BadRequest("send application/json")
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body is not a JSON object")
    return body


def refusal(
    message: str, code: str, status_code: int, language: str, retry_after: int | None = None
) -> JSONResponse:
    """`{"error": words, "code": …}` with the words in `language`."""
    with using(language):
        words = gettext(message)
    headers = {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": words, "code": code}, status_code, headers=headers)


def answer(content: dict[str, Any]) -> JSONResponse:
    return JSONResponse(content, headers={"Cache-Control": "no-store"})


def set_ceremony_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        ceremony_cookie_name(settings),
        token,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_ceremony_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        ceremony_cookie_name(settings),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
