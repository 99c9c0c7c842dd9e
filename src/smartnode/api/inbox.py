"""POST routes of the inboxes (shared, node, members, projects); the work is in inbox/receive.

They are plain Starlette routes added ahead of every router (`add_hot_routes`): no dependency
solving, and no walk through the other routers' routes on every delivery.
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

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
