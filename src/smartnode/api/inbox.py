"""POST routes of the inboxes (shared, node, members, projects); the work is in inbox/receive.

They are plain Starlette routes added ahead of every router (`add_hot_routes`): no dependency
solving, and no walk through the other routers' routes on every delivery. A POST to the shared
or the node's inbox (nearly every delivery: servers post to the shared inbox when there is one)
goes straight there from `InboxFirst`, inside the body cap and the request metrics and log,
past the page, session and Mastodon layers, which have nothing to do with a delivery.
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from smartnode.actors.records import get_local_actor
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.inbox.receive import InboxReceiver, Received
from smartnode.ops.metrics import NodeMetrics
from smartnode.storage.db import Database


def _answer(request: Request, received: Received) -> Response:
    metrics: NodeMetrics | None = request.app.state.metrics
    if metrics is not None:
        metrics.inbox_answered(received)
    headers = {}
    if received.retry_after is not None:
        headers["Retry-After"] = str(max(int(received.retry_after + 0.999), 1))
    if received.status == 202:
        return Response(status_code=202, headers=headers)
    error = {"error": received.message}
    if received.code is not None:
        error["code"] = received.code
    body = orjson.dumps(error)
    return Response(body, received.status, headers, media_type="application/json")


async def _post(request: Request, inbox_uri: str) -> Response:
    receiver: InboxReceiver = request.app.state.inbox
    return _answer(request, await receiver.receive(request, inbox_uri))


async def _actor_inbox(request: Request, kind: ActorKind, name: str) -> Response:
    db: Database = request.app.state.db
    try:
        async with db.session() as session:
            actor = await get_local_actor(session, kind, name)
    except (NotFound, Gone) as error:
        return _answer(request, Received(error.status_code, error.message, code=error.code))
    return await _post(request, NodeUris.collection(actor.uri, "inbox"))


async def shared_inbox(request: Request) -> Response:
    uris: NodeUris = request.app.state.uris
    return await _post(request, uris.shared_inbox)


async def node_inbox(request: Request) -> Response:
    uris: NodeUris = request.app.state.uris
    return await _post(request, NodeUris.collection(uris.node_actor, "inbox"))


async def member_inbox(request: Request) -> Response:
    return await _actor_inbox(request, ActorKind.MEMBER, request.path_params["username"])


async def project_inbox(request: Request) -> Response:
    return await _actor_inbox(request, ActorKind.PROJECT, request.path_params["slug"])


async def feed_inbox(request: Request) -> Response:
    return await _actor_inbox(request, ActorKind.FEED, request.path_params["slug"])


def add_hot_routes(app: FastAPI) -> None:
    """The inbox POSTs as plain routes ahead of the routers (GETs fall through to them)."""
    for path, endpoint in (
        ("/inbox", shared_inbox),
        ("/actor/inbox", node_inbox),
        ("/members/{username}/inbox", member_inbox),
        ("/projects/{slug}/inbox", project_inbox),
        ("/feeds/{slug}/inbox", feed_inbox),
    ):
        app.router.add_route(path, endpoint, methods=["POST"], include_in_schema=False)


class InboxFirst:
    """ASGI middleware: POSTs to the shared and the node's inbox answered here at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = _FIRST.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        scope["endpoint"] = endpoint  # the route the metrics and the log name
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)


_FIRST = {"/inbox": shared_inbox, "/actor/inbox": node_inbox}
