"""Request body cap for every route: 413 before a byte of an oversized body is parsed; 431
for headers over 32 KiB (uvicorn's httptools parser sets no limit of its own).

A pure ASGI middleware (no BaseHTTPMiddleware buffering). A declared `Content-Length` over the
cap is answered at once, without reading the body; a chunked or undeclared body is counted as
it streams, and the first chunk past the cap ends the request: whatever the route makes of the
interrupted read is discarded and a 413 goes out instead. The answer has the API's error shape.
A few paths that take an uploaded picture (`larger`) have a cap of their own.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartnode.errors import BadRequest, PayloadTooLarge, SmartnodeError
from smartnode.inbox.receive import MAX_BODY

#: The cap of every request body (the inbox's, 1 MiB).
MAX_REQUEST_BODY = MAX_BODY
#: Bytes past the cap read and thrown away before answering, so that a client still sending a
#: body a little too large reads the 413 rather than a reset connection (nginx's lingering close).
DRAIN_LIMIT = 4 * MAX_BODY


#: The cap of a request's header lines together (nginx's default buffers hold 32 KiB).
MAX_HEADER_BYTES = 32 * 1024


class HeadersTooLarge(SmartnodeError):
    status_code = 431
    code = "headers_too_large"


class BodyTooLarge(PayloadTooLarge):
    """Raised into the route's body read when the streamed body passes the cap."""


def too_large_message(limit: int) -> str:
    """The words of the 413 answer."""
    return f"the request body is larger than {limit // 1024} KiB ({limit} bytes)"


class BodyLimit:
    """Refuses request bodies over `max_bytes` with 413 (by Content-Length, else while read)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BODY,
        larger: Mapping[str, int] | None = None,
    ) -> None:  # fmt: skip
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})  # path -> its own cap (uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.larger.get(str(scope["path"]), self.max_bytes)
        if sum(len(name) + len(value) + 4 for name, value in scope["headers"]) > MAX_HEADER_BYTES:
            words = f"the request's headers are larger than {MAX_HEADER_BYTES // 1024} KiB"
            await _send_error(send, HeadersTooLarge(words))
            return
        refusal = self._declared_refusal(scope, cap)
        if refusal is not None:
            if refusal.status_code == 413 and _declared(scope) <= cap + DRAIN_LIMIT:
                await _drain(receive, DRAIN_LIMIT + cap)
            await _send_error(send, refusal)
            return
        guard = _StreamGuard(receive, send, cap)
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            if not guard.exceeded:
                raise  # not ours: the interrupted read is the only failure we answer for
        if guard.exceeded and not guard.started:
            await _drain(receive, DRAIN_LIMIT)
            await _send_error(send, BodyTooLarge(too_large_message(cap)))

    def _declared_refusal(self, scope: Scope, cap: int) -> SmartnodeError | None:
        """An error for a Content-Length that is not a number or passes the cap, else None."""
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.strip().isdigit():
                    return BadRequest("the Content-Length header is not a number")
                if int(value) > cap:
                    return BodyTooLarge(too_large_message(cap))
        return None


def _declared(scope: Scope) -> int:
    """The request's Content-Length (checked to be digits), or 0."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value)
    return 0


async def _drain(receive: Receive, limit: int) -> None:
    """Read and drop up to `limit` more bytes of the body (never parsed), or until it ends."""
    drained = 0
    while drained <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        drained += len(message.get("body", b""))


class _StreamGuard:
    """Counts the body as the route reads it; past the cap, raises and swallows its answer."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive = receive
        self._send = send
        self.max_bytes = max_bytes
        self.size = 0
        self.exceeded = False
        self.started = False

    async def receive(self) -> Message:
        if self.exceeded:
            raise BodyTooLarge(too_large_message(self.max_bytes))
        message = await self._receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.max_bytes:
                self.exceeded = True
                raise BodyTooLarge(too_large_message(self.max_bytes))
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            return  # the route's answer to an interrupted read: the 413 replaces it
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


async def _send_error(send: Send, error: SmartnodeError) -> None:
    body = orjson.dumps({"error": error.message, "code": error.code})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
