"""Mastodon's streaming API as Server-Sent Events: GET /api/v1/streaming/user,
/user/notification, /public, /public/local, /public/remote, /hashtag?tag=, /hashtag/local?tag=,
/list?list=, /direct, the same streams as the WebSocket (stream_listener.py).

As Mastodon's streaming server answers: the token from `Authorization: Bearer` or the
`access_token` query parameter (401 without a valid one, and for a token short of the
stream's scope); an unknown stream, a missing tag or a list not the member's is 404
`{"error": "Not found"}`. The body is `text/event-stream`: a first `:)` comment, then
`event: <kind>` and `data: <payload>` lines per event, and a `:thump` comment every
HEARTBEAT_SECONDS (an app may set `app.state.stream_heartbeat_seconds`); it ends once the
token is revoked (checked as often as the WebSocket checks it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from smartnode.api.mastodon.auth import NEEDS_USER, OUTSIDE_SCOPES
from smartnode.api.mastodon.stream_listener import (
    Listener,
    broker_of,
    member_of,
    messages,
    principal_of,
)
from smartnode.api.mastodon.streaming import RECHECK_SECONDS
from smartnode.content.stream_broker import Fanout

router = APIRouter(include_in_schema=False)
HEARTBEAT_SECONDS = 15.0
#: The path after /api/v1/streaming/ and the stream it serves.
PATHS = {"user": "user", "user/notification": "user:notification", "public": "public",
         "public/local": "public:local", "public/remote": "public:remote",
         "hashtag": "hashtag", "hashtag/local": "hashtag:local", "list": "list",
         "direct": "direct"}  # fmt: skip
NO_SCOPE = "Access token does not have the required scopes"
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


def _not_found() -> JSONResponse:
    return JSONResponse({"error": "Not found"}, status_code=404)


async def _events(
    request: Request, listener: Listener, broker: Fanout, token: str
) -> AsyncIterator[str]:
    """The event stream, until the client leaves or the token stops being valid (subscribed
    before the first comment is sent, so what follows it is heard)."""
    state = request.app.state
    beat = float(getattr(state, "stream_heartbeat_seconds", HEARTBEAT_SECONDS))
    recheck = float(getattr(state, "stream_recheck_seconds", RECHECK_SECONDS))
    checked = time.monotonic()
    queue = await broker.subscribe()
    try:
        yield ":)\n"
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), min(beat, recheck))
            except TimeoutError:
                if time.monotonic() - checked >= recheck:
                    if await principal_of(state.db, token) is None:
                        return
                    checked = time.monotonic()
                yield ":thump\n"
                continue
            for message in await messages(state.db, state.uris, listener, event):
                yield f"event: {message['event']}\ndata: {message['payload']}\n\n"
    finally:
        await broker.unsubscribe(queue)


@router.get("/api/v1/streaming/{path:path}")
async def stream(path: str, request: Request) -> Response:
    name = PATHS.get(path.strip("/"))
    token = _token(request)
    principal = await principal_of(request.app.state.db, token) if token else None
    if principal is None or token is None:
        words = "Missing access token" if not token else "Invalid access token"
        return JSONResponse({"error": words}, status_code=401)
    if name is None:
        return _not_found()
    listener = Listener(request.app.state.db, principal,
                        await member_of(request.app.state.db, principal))  # fmt: skip
    query = request.query_params
    problem = await listener.subscribe(name, query.get("tag"), query.get("list"))
    if problem in (OUTSIDE_SCOPES, NEEDS_USER):
        return JSONResponse({"error": NO_SCOPE}, status_code=401)
    if problem is not None:
        return _not_found()
    return StreamingResponse(_events(request, listener, broker_of(request.app.state), token),
                             media_type="text/event-stream", headers=HEADERS)  # fmt: skip
