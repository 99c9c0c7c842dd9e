"""What every HTML form needs: a CSRF token bound to a cookie, the same-origin check, and the
session cookie's attributes.

CSRF: a random `csrf` cookie (HttpOnly, SameSite=Lax) is set on the first page that shows a
form; each form carries an HMAC of it under the node's secret key. A POST is taken only when
the field matches the cookie and, when the browser sends Origin (or else Referer), that is the
node's own origin. Sign-in forms are guarded too (no login CSRF).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi import Request, Response

from smartnode.accounts.secrets import new_secret
from smartnode.config import Settings
from smartnode.errors import Forbidden

CSRF_FIELD = "csrf"


class FormRefused(Forbidden):
    """A POST without a valid CSRF token or from another origin."""

    code = "form_refused"


def _cookie_name(settings: Settings, name: str) -> str:
    """`__Host-` names on https (bound to this host, Secure, Path=/), plain names on http."""
    return f"__Host-{name}" if settings.secure_cookies else f"smartnode-{name}"


def csrf_cookie_name(settings: Settings) -> str:
    return _cookie_name(settings, "csrf")


def session_cookie_name(settings: Settings) -> str:
    return _cookie_name(settings, "session")


def _mac(settings: Settings, value: str) -> str:
    digest = hmac.new(settings.secret(), f"csrf:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Csrf:
    """The CSRF cookie of one request: read or made, and set on the response if new."""

    def __init__(self, request: Request, settings: Settings) -> None:
        self.settings = settings
        existing = request.cookies.get(csrf_cookie_name(settings), "")
        self.is_new = len(existing) < 20
        self.value = new_secret(24) if self.is_new else existing

    @property
    def token(self) -> str:
        """The value for the hidden `csrf` field of a form."""
        return _mac(self.settings, self.value)

    def set_on(self, response: Response) -> None:
        """Set the cookie when it was made for this request."""
        if self.is_new:
            response.set_cookie(
                csrf_cookie_name(self.settings),
                self.value,
                httponly=True,
                samesite="lax",
                secure=self.settings.secure_cookies,
                path="/",
            )


def same_origin(request: Request, settings: Settings) -> bool:
    """Whether the request's Origin (or Referer) is the node's own, when the browser sent one."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return True  # neither sent: the CSRF token alone decides
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.rstrip("/") == settings.base_url


def check_form(request: Request, settings: Settings, form: Mapping[str, object]) -> None:
    """FormRefused unless the POST is same-origin and carries the cookie's CSRF token."""
    if not same_origin(request, settings):
        raise FormRefused("this form was sent from another site")
    cookie = request.cookies.get(csrf_cookie_name(settings), "")
    sent = form.get(CSRF_FIELD)
    if (
        not cookie
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent, _mac(settings, cookie))
    ):
        raise FormRefused("this form has expired: reload the page and try again")


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    """The session cookie: opaque, HttpOnly, SameSite=Lax, Secure on https, kept by the
    browser as long as the session may live (the node ends it earlier when idle)."""
    response.set_cookie(
        session_cookie_name(settings),
        token,
        max_age=settings.session_max_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
