"""Two API processes on one PostgreSQL database (two apps in one test process, each with its own
state): a host's inbox rate limit spent through one is spent for the other, and a change made
through one empties the other's document cache, also after its LISTEN connection was dropped.
On SQLite (one process) the in-memory limiter serves and there is no bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from smartnode.accounts.tokens import create_token
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.inbox.ratelimit import RateLimiter
from smartnode.storage.db import Database
from tests.conftest import make_member, now
from tests.inbox import Fediverse
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post

AP = {"Accept": "application/activity+json"}


@asynccontextmanager
async def _processes(settings: Settings, count: int) -> AsyncIterator[list[Any]]:
    """`count` apps on the same database, each started, with a client: [(app, client), …]."""
    world = Fediverse()
    world.actor(ALICE, pem=ALICE_PUBLIC)
    async with AsyncExitStack() as stack:
        found = []
        for _ in range(count):
            app = create_app(settings, outbound_transport=httpx.MockTransport(world.handle))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=settings.base_url
            )
            await stack.enter_async_context(client)
            found.append((app, client))
        yield found


async def _until(check: Any, what: str) -> None:
    for _ in range(400):
        if check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never: {what}")


async def test_a_host_limit_spent_through_one_process_is_spent_for_the_other(
    db: Database, settings: Settings
) -> None:
    limited = settings.model_copy(update={"inbox_rate_per_minute": 3})
    anna = await make_member(db, settings, "anna")
    async with _processes(limited, 2) as [(first, one), (_, two)]:
        if settings.is_sqlite:
            assert isinstance(first.state.inbox.limiter, RateLimiter)
            assert first.state.cache_bus is None
            return
        codes = []
        for n, client in enumerate([one, two, one, two, one]):
            codes.append((await post(client, "/inbox", follow(anna.uri, n=n))).status_code)
    assert codes == [202, 202, 202, 429, 429]


async def test_a_change_through_one_process_empties_the_others_cache(
    db: Database, settings: Settings
) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite serves one process: nothing to tell")
    await make_member(db, settings, "anna", name="Anna")
    async with db.session() as s, s.begin():
        token = await create_token(s, label="ops", now=now())
    auth = {"Authorization": f"Bearer {token}"}
    async with _processes(settings, 2) as [(_, one), (second, two)]:
        bus = second.state.cache_bus
        await _until(lambda: bus.server_pid is not None, "the bus listening")
        for n, name in enumerate(["Anna Lind", "Anna Berg"]):
            cached = await two.get("/members/anna", headers=AP)
            assert cached.status_code == 200
            heard = bus.heard
            changed = await one.patch("/api/smart/v1/members/anna", json={"name": name},
                                      headers=auth)  # fmt: skip
            assert changed.status_code == 200, changed.text
            await _until(lambda h=heard: bus.heard > h, "the other process hearing the change")
            fresh = await two.get("/members/anna", headers=AP)
            assert fresh.json()["name"] == name
            if n == 0:  # drop the LISTEN connection: the bus opens it again
                pid = bus.server_pid
                async with db.engine.begin() as conn:
                    await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await _until(lambda p=pid: bus.server_pid not in (None, p), "a new connection")


async def test_an_api_process_listens_before_it_serves(db: Database, settings: Settings) -> None:
    """Otherwise the bus's first connection would empty caches filled meanwhile, and a notice
    sent before it would be missed."""
    async with _processes(settings, 1) as [(app, client)]:
        bus = app.state.cache_bus
        if settings.is_sqlite:
            assert bus is None
            return
        assert bus.server_pid is not None and bus.connections == 1
        assert (await client.get("/nodeinfo/2.1")).status_code == 200
