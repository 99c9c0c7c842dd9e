"""Every route refuses a request body over 1 MiB with 413 before parsing it: by Content-Length
without reading a byte, and while streaming when the body is chunked (on a real server too)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from smartnode.api.limits import DRAIN_LIMIT, MAX_REQUEST_BODY
from smartnode.app import create_app
from smartnode.config import Settings
from tests.api.test_v1_auth import admin_headers, count_actors
from tests.servers import HOST, free_port

CHUNK = 64 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class Pulled:
    """A streamed request body of `total` bytes that counts what the server read of it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        opening = b'{"username": "anna", "name": "'
        self.sent += len(opening)
        yield opening
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"x" * CHUNK


def _assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.json() == {
        "error": "the request body is larger than 1024 KiB (1048576 bytes)",
        "code": "payload_too_large",
    }


async def test_a_declared_50_mb_body_is_413_without_reading_it(client, db) -> None:
    body = Pulled(50 * 1024 * 1024)
    headers = {**await admin_headers(db), "Content-Length": str(body.total),
               "Content-Type": "application/json"}  # fmt: skip
    response = await client.post("/api/smart/v1/members", content=body, headers=headers)
    _assert_413(response)
    assert body.sent <= CHUNK  # httpx may hand over its first chunk; nothing more is pulled
    assert await count_actors(db, "member") == 0


async def test_a_chunked_10_mb_body_is_cut_at_1_mib(client, db) -> None:
    body = Pulled(10 * 1024 * 1024)
    headers = {**await admin_headers(db), "Content-Type": "application/json"}
    response = await client.post("/api/smart/v1/members", content=body, headers=headers)
    _assert_413(response)
    assert body.sent <= MAX_REQUEST_BODY + DRAIN_LIMIT + 2 * CHUNK  # cut, then drained a while
    assert await count_actors(db, "member") == 0


async def test_a_body_just_under_the_cap_is_parsed(client, db) -> None:
    padding = "x" * (MAX_REQUEST_BODY - 100)
    content = json.dumps({"username": "anna", "name": "Anna", "summary": padding}).encode()
    assert len(content) <= MAX_REQUEST_BODY
    headers = {**await admin_headers(db), "Content-Type": "application/json"}
    response = await client.post("/api/smart/v1/members", content=content, headers=headers)
    assert response.status_code == 422  # read and validated (the summary is too long)
    assert "summary" in response.json()["error"]


def _body_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every POST/PUT/PATCH: the OpenAPI document's and the plain routes (the inboxes)."""
    found = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in BODY_METHODS
    ]
    for route in app.routes:
        methods = getattr(route, "methods", None) or set()
        found += [(m, getattr(route, "path", "")) for m in sorted(set(methods) & BODY_METHODS)]
    return [(method, re.sub(r"\{[^}]+\}", "x", path)) for method, path in found]


async def test_every_route_that_takes_a_body_refuses_an_oversized_one(app, client) -> None:
    routes = _body_routes(app)
    assert ("POST", "/api/smart/v1/members") in routes and ("POST", "/inbox") in routes
    assert len(routes) > 30
    oversized = b"{" + b" " * MAX_REQUEST_BODY + b"}"
    for method, path in routes:
        response = await client.request(
            method, path, content=oversized, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413, f"{method} {path}: {response.status_code}"
        assert response.json()["code"] == "payload_too_large"


async def test_a_content_length_that_is_not_a_number_is_400(client) -> None:
    request = client.build_request("POST", "/api/smart/v1/members", content=b"{}")
    request.headers["Content-Length"] = "lots"
    response = await client.send(request)
    assert response.status_code == 400
    assert response.json()["error"] == "the Content-Length header is not a number"


@pytest.fixture
async def served(settings: Settings, db) -> AsyncIterator[str]:
    """The app on a real uvicorn server on 127.0.0.1."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host=HOST, port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        await task


async def test_on_the_wire_a_chunked_body_is_answered_413_while_it_streams(served, db) -> None:
    body = Pulled(3 * 1024 * 1024)
    headers = {**await admin_headers(db), "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=served, timeout=30) as wire:
        response = await wire.post("/api/smart/v1/members", content=body, headers=headers)
    assert "content-length" not in response.request.headers  # sent chunked
    _assert_413(response)
    assert await count_actors(db, "member") == 0


async def test_on_the_wire_a_huge_body_is_not_read_to_its_end(served, db) -> None:
    body = Pulled(200 * 1024 * 1024)
    headers = {**await admin_headers(db), "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=served, timeout=30) as wire:
        # the server may close the connection with the client still sending: also a refusal
        with contextlib.suppress(httpx.TransportError):
            _assert_413(await wire.post("/api/smart/v1/members", content=body, headers=headers))
    assert body.sent < 50 * 1024 * 1024
    assert await count_actors(db, "member") == 0
