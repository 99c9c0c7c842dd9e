"""(a) for bench.mastodon_api: a FastAPI app answering the Mastodon API's paths with the very
bytes the node answered, held in memory.

At start-up it opens the node of SMARTNODE_DATA_DIR (the same settings as `smartnode serve`),
asks the node's app once, in-process, for each path of SMARTNODE_BENCH_PATHS (comma-separated)
with the bearer token SMARTNODE_BENCH_TOKEN, and keeps each answer's body. Each request then
returns those bytes: what an answer costs with no token check, database, use case or entity.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from smartnode.app import create_app
from smartnode.config import load_settings
from smartnode.ops.heap import freeze_startup_heap
from smartnode.ops.telemetry import NO_OPENTELEMETRY


async def capture(paths: list[str], token: str) -> dict[str, bytes]:
    """Each path's JSON body as the node answers the token's holder."""
    node = create_app(load_settings())
    found: dict[str, bytes] = {}
    async with node.router.lifespan_context(node):
        transport = httpx.ASGITransport(app=node)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in paths:
                answer = await client.get(path, headers={"Authorization": f"Bearer {token}"})
                answer.raise_for_status()
                found[path.partition("?")[0]] = answer.content
    return found


def reference_app() -> FastAPI:
    """The app uvicorn serves (`--factory`)."""
    paths = os.environ["SMARTNODE_BENCH_PATHS"].split(",")
    kept: dict[str, bytes] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kept.update(await capture(paths, os.environ["SMARTNODE_BENCH_TOKEN"]))
        freeze_startup_heap()  # as the node's own process does
        yield

    app = FastAPI(lifespan=lifespan, telemetry=NO_OPENTELEMETRY)

    @app.get("/api/v1/{rest:path}")
    async def answer(request: Request, rest: str) -> Response:
        return Response(kept[request.url.path], media_type="application/json")

    return app
