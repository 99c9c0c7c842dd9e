"""Mastodon's streaming API over WebSocket (`/api/v1/streaming`) and its health check.

As Mastodon serves it: the token from `access_token`, the `Sec-WebSocket-Protocol` header or
`Authorization` (a connection without a valid one is refused 401); a first stream from the
`stream` query parameter (with `tag` or `list`), others by `{"type": "subscribe" |
"unsubscribe", "stream": …, "tag": …, "list": …}` messages; each event is `{"stream": [name,
(tag or list)], "event": …, "payload": "<JSON string>"}` (a `delete`'s payload is the status
id). The streams, their scopes and what each hears: stream_listener.py (Server-Sent Events of
the same streams: streaming_sse.py).

Events come from the broker (content/stream_broker.py, stream_events.py); who hears of what is
content/stream_audience.py's rule; statuses are rendered for each socket with its reader.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, PlainTextResponse

from smartnode.api.mastodon.stream_listener import (
    Listener,
    broker_of,
    member_of,
    messages,
    principal_of,
)
from smartnode.content.stream_broker import Event
from smartnode.federation.uris import NodeUris
from smartnode.storage.db import Database

router = APIRouter(include_in_schema=False)
MAX_MESSAGE = 4096
#: How often an open socket's token is checked again (a revoked one closes the socket); an
#: app may set `app.state.stream_recheck_seconds`.
RECHECK_SECONDS = 60.0


@router.get("/api/v1/streaming/health")
async def health() -> PlainTextResponse:
    return PlainTextResponse("OK")


def _token(websocket: WebSocket) -> tuple[str | None, bool]:
    """(token, whether it came as the subprotocol) from the three places Mastodon reads."""
    query = websocket.query_params.get("access_token")
    if query:
        return query, False
    protocol = websocket.headers.get("sec-websocket-protocol", "").strip()
    if protocol:
        return protocol, True
    scheme, _, value = websocket.headers.get("authorization", "").strip().partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None, False


async def _read(websocket: WebSocket, listener: Listener) -> None:
    """Subscriptions asked by the client, until it leaves."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            await websocket.close(1003, "binary messages are not supported")
            return
        try:
            asked = json.loads(text) if len(text) <= MAX_MESSAGE else None
        except ValueError:
            continue  # as Mastodon: a message that is not JSON is ignored
        if not isinstance(asked, dict) or asked.get("type") not in ("subscribe", "unsubscribe"):
            continue
        problem = await listener.subscribe(
            asked.get("stream"),
            asked.get("tag"),
            asked.get("list"),
            on=asked["type"] == "subscribe",
        )
        if problem is not None:
            await websocket.send_json({"error": problem})


async def _write(
    websocket: WebSocket, db: Database, uris: NodeUris, listener: Listener,
    queue: asyncio.Queue[Event],
) -> None:  # fmt: skip
    """The events of the streams subscribed, as they come."""
    while True:
        event = await queue.get()
        for message in await messages(db, uris, listener, event):
            await websocket.send_text(json.dumps(message))


async def _watch(websocket: WebSocket, db: Database, token: str) -> None:
    """Close the socket once its token is revoked or expired, or its member gone (policy
    violation, 1008), as Mastodon closes the streams of a revoked token."""
    every = float(getattr(websocket.app.state, "stream_recheck_seconds", RECHECK_SECONDS))
    while True:
        await asyncio.sleep(every)
        if await principal_of(db, token) is None:
            await websocket.close(1008, "the access token is no longer valid")
            return


@router.websocket("/api/v1/streaming")
async def stream(websocket: WebSocket) -> None:
    db: Database = websocket.app.state.db
    uris: NodeUris = websocket.app.state.uris
    token, as_protocol = _token(websocket)
    principal = await principal_of(db, token) if token else None
    if principal is None or token is None:
        words = "Missing access token" if not token else "Invalid access token"
        await websocket.send_denial_response(JSONResponse({"error": words}, status_code=401))
        return
    listener = Listener(db, principal, await member_of(db, principal))
    query = websocket.query_params
    first = query.get("stream")
    problem = (
        await listener.subscribe(first, query.get("tag"), query.get("list")) if first else None
    )
    broker = broker_of(websocket.app.state)
    queue = await broker.subscribe()
    try:
        await websocket.accept(subprotocol=token if as_protocol else None)
        if problem is not None:
            await websocket.send_json({"error": problem})
        tasks = [asyncio.create_task(_read(websocket, listener)),
                 asyncio.create_task(_write(websocket, db, uris, listener, queue)),
                 asyncio.create_task(_watch(websocket, db, token))]  # fmt: skip
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            failed = task.exception()
            if failed is not None and not isinstance(failed, (WebSocketDisconnect, OSError)):
                raise failed
    finally:
        await broker.unsubscribe(queue)
