"""One pure ASGI layer for what is done once each HTTP request is answered: counted and timed
for the metrics (ops/metrics.py) and a line in the request log (ops/request_log.py), whichever
is on. One layer, one clock, one route look-up for both: each layer of the stack costs every
request a coroutine and a wrapped `send`.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartnode.ops.metrics import NodeMetrics
from smartnode.ops.request_log import RequestIds, RequestLines
from smartnode.ops.route_templates import RouteTemplates


class AnsweredRequests:
    """Counts (when `metrics` is given) and logs (when `lines` is) each HTTP request once its
    answer has been sent; with the log, the answer carries the request id (`X-Request-Id`)."""

    def __init__(
        self, app: ASGIApp, metrics: NodeMetrics | None = None, lines: RequestLines | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.lines = lines
        self.templates = RouteTemplates()
        self.ids = RequestIds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.lines is not None:
            await self.app(scope, receive, _flushing_at_shutdown(send, self.lines))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an app that raised before answering: the server answers 500
        given_id = self.ids.of(scope["headers"]) if self.lines is not None else b""

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if given_id:
                    message["headers"] = [*message.get("headers", []),
                                          (b"x-request-id", given_id)]  # fmt: skip
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = self.templates.of(scope)
            if self.metrics is not None:
                self.metrics.request_answered(route, scope["method"], status, seconds)
            if self.lines is not None:
                self.lines.answered(scope["method"], route, status, seconds, given_id)


def _flushing_at_shutdown(send: Send, lines: RequestLines) -> Send:
    """`send` of the lifespan, writing the request log's waiting lines before the server is
    told the app has shut down (a worker of `serve --workers` exits without logging's own
    flush at exit)."""

    async def sending(message: Message) -> None:
        if message["type"].startswith("lifespan.shutdown."):
            lines.flush()
        await send(message)

    return sending
