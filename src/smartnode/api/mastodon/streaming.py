"""Mastodon's streaming API over WebSocket (`/api/v1/streaming`) and its health check.

As Mastodon serves it: the token from `access_token`, the `Sec-WebSocket-Protocol` header or
`Authorization` (a connection without a valid one is refused 401); a first stream from the
`stream` query parameter, others by `{"type": "subscribe" | "unsubscribe", "stream": …,
"tag": …}` messages; each event is `{"stream": [name, (tag)], "event": …, "payload": "<JSON
string>"}` (a `delete`'s payload is the status id). Streams: `user` (the home timeline and
the member's notifications), `user:notification`, `public`, `public:local`, `public:remote`,
`hashtag`, `hashtag:local`. Every stream needs a token (Mastodon 4 does not stream to
anonymous readers); the scopes are Mastodon's: read or read:statuses, read:notifications.

Events come from the broker (content/stream_broker.py, stream_events.py); who hears of what is
content/stream_audience.py's rule; statuses are rendered for each socket with its reader.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.bearer import principal_for_token
from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_NOTIFICATIONS, READ_STATUSES
from smartnode.api.mastodon.auth import NEEDS_USER, OUTSIDE_SCOPES
from smartnode.api.mastodon.entities import Renderer
from smartnode.api.mastodon.notifications import notification_entity
from smartnode.content import stream_audience as audience
from smartnode.content.stream_broker import DELETE, NOTIFICATION, Event, Fanout, broker_for
from smartnode.errors import Forbidden, Unauthorized
from smartnode.federation.uris import NodeUris
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, ContentObject

router = APIRouter(include_in_schema=False)
#: Each stream and the scope it needs.
STREAMS = {"user": READ_STATUSES, "user:notification": READ_NOTIFICATIONS,
           "public": READ_STATUSES, "public:local": READ_STATUSES,
           "public:remote": READ_STATUSES, "hashtag": READ_STATUSES,
           "hashtag:local": READ_STATUSES}  # fmt: skip
MAX_MESSAGE = 4096
MAX_SUBSCRIPTIONS = 50
MAX_TAG = 100
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


async def _principal(db: Database, token: str) -> Principal | None:
    async with db.session() as session, session.begin():
        try:
            return await principal_for_token(session, token, None, datetime.now(UTC))
        except (Unauthorized, Forbidden):
            return None


async def _member(db: Database, principal: Principal) -> Actor | None:
    if principal.actor_id is None:
        return None
    async with db.session() as session:
        actor = await session.get(Actor, principal.actor_id)
    return actor if actor is not None and actor.deleted_at is None else None


@dataclass
class Listener:
    """One socket: who reads, and the streams it subscribed to (name, tag)."""

    principal: Principal
    member: Actor | None
    streams: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def subscribe(self, name: Any, tag: Any, *, on: bool = True) -> str | None:
        """Add (or drop) a stream; the error Mastodon sends back, if any."""
        if not isinstance(name, str) or name not in STREAMS:
            return "Unknown stream type"
        if name.startswith("hashtag") and (not isinstance(tag, str) or not tag.strip()):
            return "No tag for stream provided"
        tag = tag.strip()[:MAX_TAG] if name.startswith("hashtag") else ""
        key = (name, tag.lower())
        if not on:
            self.streams.pop(key, None)
            return None
        if not self.principal.allows(STREAMS[name]):
            return OUTSIDE_SCOPES
        if name.startswith("user") and self.member is None:
            return NEEDS_USER
        if len(self.streams) >= MAX_SUBSCRIPTIONS:
            return "Too many subscriptions"
        self.streams[key] = [name, tag] if tag else [name]
        return None

    async def heard(self, session: AsyncSession, obj: ContentObject) -> list[list[str]]:
        """The subscribed streams whose timeline lists the status."""
        found = []
        for (name, tag), stream in self.streams.items():
            if name == "user":
                hit = self.member is not None and await audience.in_home(session, self.member, obj)
            elif name.startswith("public"):
                hit = audience.on_public(obj, local=name == "public:local",
                                         remote=name == "public:remote")  # fmt: skip
            elif name.startswith("hashtag"):
                hit = audience.on_hashtag(obj, tag, local=name == "hashtag:local")
            else:
                hit = False
            if hit:
                found.append(stream)
        return found


async def _messages(
    db: Database, uris: NodeUris, listener: Listener, event: Event
) -> list[dict[str, Any]]:
    """What one event sends this socket."""
    member = listener.member
    if not listener.streams:
        return []
    async with db.session() as session:
        if event.kind == NOTIFICATION:
            wanted = [s for (n, _), s in listener.streams.items() if n.startswith("user")]
            if member is None or event.ref != member.id or not wanted:
                return []
            if not listener.principal.allows(READ_NOTIFICATIONS):
                return []
            note = await audience.notification_row(session, member.id, event.note_kind,
                                                   event.uri)  # fmt: skip
            if note is None:
                return []
            entity = await notification_entity(session, uris, member, note)
            if entity is None:  # a kind apps are not shown (team notices)
                return []
            payload = json.dumps(entity)
            return [{"stream": s, "event": NOTIFICATION, "payload": payload} for s in wanted]
        row = await audience.status_row(session, event.ref, deleted=event.kind == DELETE)
        streams = await listener.heard(session, row[0]) if row is not None else []
        if row is None or not streams:
            return []
        if member is not None and await audience.hidden_from(session, member, row[0]):
            return []
        if event.kind == DELETE:
            payload = str(event.ref)  # as Mastodon: the id, not a JSON document
        else:
            payload = json.dumps(await Renderer(session, uris).status(*row, member))
        return [{"stream": s, "event": event.kind, "payload": payload} for s in streams]


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
        problem = listener.subscribe(asked.get("stream"), asked.get("tag"),
                                     on=asked["type"] == "subscribe")  # fmt: skip
        if problem is not None:
            await websocket.send_json({"error": problem})


async def _write(
    websocket: WebSocket, db: Database, uris: NodeUris, listener: Listener,
    queue: asyncio.Queue[Event],
) -> None:  # fmt: skip
    """The events of the streams subscribed, as they come."""
    while True:
        event = await queue.get()
        for message in await _messages(db, uris, listener, event):
            await websocket.send_text(json.dumps(message))


async def _watch(websocket: WebSocket, db: Database, token: str) -> None:
    """Close the socket once its token is revoked or expired, or its member gone (policy
    violation, 1008), as Mastodon closes the streams of a revoked token."""
    every = float(getattr(websocket.app.state, "stream_recheck_seconds", RECHECK_SECONDS))
    while True:
        await asyncio.sleep(every)
        if await _principal(db, token) is None:
            await websocket.close(1008, "the access token is no longer valid")
            return


def _broker(websocket: WebSocket) -> Fanout:
    state = websocket.app.state
    if getattr(state, "stream_broker", None) is None:
        state.stream_broker = broker_for(state.settings.database_url)
    broker: Fanout = state.stream_broker
    return broker


@router.websocket("/api/v1/streaming")
async def stream(websocket: WebSocket) -> None:
    db: Database = websocket.app.state.db
    uris: NodeUris = websocket.app.state.uris
    token, as_protocol = _token(websocket)
    principal = await _principal(db, token) if token else None
    if principal is None or token is None:
        words = "Missing access token" if not token else "Invalid access token"
        await websocket.send_denial_response(JSONResponse({"error": words}, status_code=401))
        return
    listener = Listener(principal, await _member(db, principal))
    first = websocket.query_params.get("stream")
    problem = listener.subscribe(first, websocket.query_params.get("tag")) if first else None
    broker = _broker(websocket)
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
