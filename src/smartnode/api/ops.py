"""/healthz, /readyz and /metrics: for load balancers, orchestrators and Prometheus.

Plain routes ahead of the routers. None is cached (`Cache-Control: no-store`), none needs a
session; /metrics exists only when SMARTNODE_METRICS_TOKEN is set, and then only for requests
bearing that token (compared in constant time). The words they answer name no URL, revision or
version.
"""

from __future__ import annotations

import hmac

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from smartnode.config import Settings
from smartnode.federation.signer import utc_now
from smartnode.ops.health import RETRY_AFTER_SECONDS, readiness
from smartnode.ops.metrics import CONTENT_TYPE, NodeMetrics
from smartnode.ops.scrape import read_database_gauges
from smartnode.storage.db import Database

NO_STORE = {"Cache-Control": "no-store"}
JSON = "application/json"


def _json(document: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(document), status, {**NO_STORE, **(headers or {})}, JSON)


async def healthz(request: Request) -> Response:
    """The process answers: 200 always (a load balancer's liveness probe)."""
    return _json({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 when this process can serve; 503 naming what is wrong, with Retry-After."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    found = await readiness(
        db, request.app.state.schema_heads, worker_expected=settings.worker_expected,
        now=utc_now(),
    )  # fmt: skip
    if found.ready:
        return _json({"status": "ok", "checks": found.checks})
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return _json({"status": "unavailable", "checks": found.checks}, 503, retry)


async def metrics(request: Request) -> Response:
    """The Prometheus text format, to the bearer of the metrics token; 404 when metrics are off."""
    settings: Settings = request.app.state.settings
    node_metrics: NodeMetrics | None = request.app.state.metrics
    token = settings.metrics_bearer()
    if token is None or node_metrics is None:
        return _json({"error": "not found", "code": "not_found"}, 404)
    given = request.headers.get("authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {token}".encode()):
        challenge = {"WWW-Authenticate": 'Bearer realm="metrics"'}
        return _json({"error": "the metrics token is required", "code": "unauthorized"}, 401,
                     challenge)  # fmt: skip
    db: Database = request.app.state.db
    async with db.session() as session:
        await read_database_gauges(session, node_metrics, utc_now())
    return Response(node_metrics.render(), 200, NO_STORE, CONTENT_TYPE)


def add_hot_routes(app: FastAPI) -> None:
    """The three routes, ahead of every router."""
    for path, endpoint in (("/healthz", healthz), ("/readyz", readyz), ("/metrics", metrics)):
        app.router.add_route(path, endpoint, methods=["GET", "HEAD"], include_in_schema=False)
