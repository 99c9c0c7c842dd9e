"""CORS for the Mastodon client API, as Mastodon serves it, so that apps running in a browser
(Elk, Phanpy, the Mastodon web app of another origin) can call it: any origin, no cookies
(bearer tokens only), preflights answered, pagination headers readable.

Interop: Mastodon (rack-cors) opens `/api/*`, `/oauth/token` and `/oauth/revoke` this way; the
consent page (/oauth/authorize) and our own pages stay closed to other origins.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIXES = ("/api/v1/", "/api/v2/")
EXACT = frozenset({"/api/v1/instance", "/api/v2/instance", "/oauth/token", "/oauth/revoke"})
METHODS = "POST, PUT, DELETE, GET, PATCH, OPTIONS"
EXPOSE = "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id"
MAX_AGE = "7200"
#: Header names a preflight may ask for (echoed back), comma-separated tokens only.
_HEADER_NAMES = re.compile(r"^[A-Za-z0-9\-_]+(\s*,\s*[A-Za-z0-9\-_]+)*$")


def is_open(path: str) -> bool:
    """Whether a path is one Mastodon opens to other origins."""
    return path in EXACT or path.startswith(PREFIXES)


class MastodonCors:
    """ASGI middleware: preflights of the Mastodon API answered here; its answers readable by
    scripts of any origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_open(str(scope["path"])):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(headers, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                answer["Access-Control-Allow-Origin"] = "*"
                answer["Access-Control-Expose-Headers"] = EXPOSE
            await send(message)

        await self.app(scope, receive, with_cors)


async def _preflight(headers: Headers, send: Send) -> None:
    """200 with what may be sent: any origin, Mastodon's methods, the headers asked for."""
    answer = [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", METHODS.encode()),
        (b"access-control-max-age", MAX_AGE.encode()),
        (b"content-length", b"0"),
    ]
    asked = headers.get("access-control-request-headers", "").strip()
    if asked and len(asked) <= 1000 and _HEADER_NAMES.match(asked):
        answer.append((b"access-control-allow-headers", asked.encode()))
    await send({"type": "http.response.start", "status": 200, "headers": answer})
    await send({"type": "http.response.body", "body": b""})
