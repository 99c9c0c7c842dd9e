"""(a) for bench.pages: a FastAPI app that renders the node's own page templates from contexts
held in memory.

At start-up it opens the node of SMARTNODE_DATA_DIR (the same settings as `smartnode serve`),
asks the node's app for each path of SMARTNODE_BENCH_PAGES (comma-separated) once, in-process,
and keeps what the node passed to the template (its name and the whole context). Each request
then renders that template with that context through the node's own Jinja environment, filters
and catalogs: what a page costs with no database, no use case and no view building.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Template

from smartnode.app import create_app
from smartnode.config import load_settings
from smartnode.ops.heap import freeze_startup_heap
from smartnode.ops.telemetry import NO_OPENTELEMETRY
from smartnode.web import i18n, pages

Captured = dict[str, tuple[Template, dict[str, Any]]]


class _Recording:
    """Stands for a template while the node renders a page: notes the context it was given."""

    def __init__(self, template: Template, seen: list[tuple[Template, dict[str, Any]]]) -> None:
        self._template, self._seen = template, seen

    def render(self, **context: Any) -> str:
        self._seen.append((self._template, context))
        return self._template.render(**context)


def _recording_loader(original: Any, seen: list[tuple[Template, dict[str, Any]]]) -> Any:
    """get_template that records the page's own template; the ones it extends or includes
    (loaded while a page renders) come back as they are."""

    def get_template(name: Any, *args: Any, **kwargs: Any) -> Any:
        template = original(name, *args, **kwargs)
        return template if seen else _Recording(template, seen)

    return get_template


async def capture(paths: list[str]) -> Captured:
    """Each path's template and context, as the node renders it for a signed-out visitor."""
    node = create_app(load_settings())
    environment = pages._env
    original = environment.get_template
    captured: Captured = {}
    async with node.router.lifespan_context(node):
        transport = httpx.ASGITransport(app=node)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in paths:
                seen: list[tuple[Template, dict[str, Any]]] = []
                environment.get_template = _recording_loader(original, seen)  # type: ignore[method-assign]
                try:
                    response = await client.get(path, headers={"Accept": "text/html"})
                finally:
                    environment.get_template = original  # type: ignore[method-assign]
                if response.status_code != 200 or len(seen) != 1:
                    raise RuntimeError(f"{path}: {response.status_code}, {len(seen)} renders")
                captured[path] = seen[0]
    return captured


def reference_app() -> FastAPI:
    """The app: one route answering every captured path with its template rendered anew."""
    paths = os.environ["SMARTNODE_BENCH_PAGES"].split(",")
    held: Captured = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        held.update(await capture(paths))
        freeze_startup_heap()  # as the node's own process does
        yield

    app = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        telemetry=NO_OPENTELEMETRY,
    )

    @app.get("/{path:path}")
    async def page(request: Request) -> HTMLResponse:
        template, context = held[request.url.path]
        token = i18n.current_language.set(context["ui_lang"])
        try:
            return HTMLResponse(template.render(**context))
        finally:
            i18n.current_language.reset(token)

    return app
