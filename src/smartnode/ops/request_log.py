"""One log line per HTTP request, once it is answered: method, route template (never the raw
path nor its query, which may hold tokens), status, duration and a request id (the client's
`X-Request-Id` when it sends a sane one, else one made here, and sent back either way)."""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartnode.ops.request_metrics import RouteTemplates

log = logging.getLogger("smartnode.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = bytes(value).decode("latin-1")
            if _SANE_ID.match(given):
                return given
    return secrets.token_hex(8)


class RequestLog:
    """Logs each HTTP request once its answer has been sent (INFO; 5xx at ERROR)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.templates = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500  # an app that raised before answering: the server answers 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]  # fmt: skip
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = self.templates.of(scope)
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %d %.1f ms", scope["method"], route, status, duration_ms,
                extra={"request_id": request_id, "method": scope["method"], "route": route,
                       "status": status, "duration_ms": duration_ms},
            )  # fmt: skip
