"""Reference apps serving fixed bytes (the ceiling a cached route is measured against).

The bytes come from files named by SMARTNODE_BENCH_ACTOR and SMARTNODE_BENCH_JRD, their content
types from SMARTNODE_BENCH_ACTOR_TYPE and SMARTNODE_BENCH_JRD_TYPE (as the node sent them).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Response

from smartnode.ops.heap import freeze_startup_heap
from smartnode.ops.telemetry import NO_OPENTELEMETRY

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _body(name: str) -> tuple[bytes, str]:
    """Bytes and content type of one document."""
    path = Path(os.environ[f"SMARTNODE_BENCH_{name}"])
    return path.read_bytes(), os.environ[f"SMARTNODE_BENCH_{name}_TYPE"]


def fastapi_app() -> FastAPI:
    """(a) FastAPI routes returning pre-serialised bytes from memory."""
    (actor, actor_type), (jrd, jrd_type) = _body("ACTOR"), _body("JRD")
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, telemetry=NO_OPENTELEMETRY)

    @app.get("/members/{username}")
    async def member(username: str) -> Response:
        return Response(content=actor, media_type=actor_type)

    @app.get("/.well-known/webfinger")
    async def webfinger(resource: str) -> Response:
        return Response(content=jrd, media_type=jrd_type)

    freeze_startup_heap()  # as the node's own process does
    return app


def bare_app() -> ASGIApp:
    """(b) A bare ASGI callable: the same bytes, no framework."""
    (actor, actor_type), (jrd, jrd_type) = _body("ACTOR"), _body("JRD")
    actor_start = _start(actor_type, actor)
    jrd_start = _start(jrd_type, jrd)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        is_jrd = scope["path"] == "/.well-known/webfinger"
        await send(jrd_start if is_jrd else actor_start)
        await send({"type": "http.response.body", "body": jrd if is_jrd else actor})

    return app


def _start(media_type: str, body: bytes) -> dict[str, Any]:
    headers = [(b"content-type", media_type.encode()), (b"content-length", b"%d" % len(body))]
    return {"type": "http.response.start", "status": 200, "headers": headers}


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
