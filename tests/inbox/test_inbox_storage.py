"""Storing inbox messages: group commit, the sender's JSON kept as sent, refused rows alone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.inbox.writer import InboxWriter
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage
from tests.conftest import make_member
from tests.inbox import Fediverse, count
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def row(n: int, **changes: Any) -> dict[str, Any]:
    body = follow("https://se.smart.test/members/anna", n=n)
    return {"activity_uri": body["id"], "inbox": "https://se.smart.test/inbox",
            "actor_uri": ALICE, "activity_type": "Follow", "body_json": json.dumps(body),
            "received_at": NOW, "state": "pending", "run_at": NOW, "attempts": 0,
            **changes}  # fmt: skip


@pytest.fixture
async def writer(db: Database) -> AsyncIterator[InboxWriter]:
    running = InboxWriter(db)
    running.start()
    yield running
    await running.stop()


async def test_concurrent_rows_are_stored_once_with_their_json(writer, db) -> None:
    await asyncio.gather(*(writer.store(row(n)) for n in range(20)), writer.store(row(3)))
    async with db.session() as s:
        rows = (await s.scalars(select(InboxMessage).order_by(InboxMessage.id))).all()
    assert len(rows) == 20
    assert rows[3].body == follow("https://se.smart.test/members/anna", n=3)
    assert rows[3].received_at == NOW and rows[3].state == "pending"


async def test_a_row_the_database_refuses_fails_alone(writer, db) -> None:
    stores = [writer.store(row(n)) for n in range(10)]
    stores.insert(5, writer.store(row(99, actor_uri=None)))  # NOT NULL: refused
    outcomes = await asyncio.gather(*stores, return_exceptions=True)
    assert [type(o) for o in outcomes if o is not None] == [ConnectionError]
    assert isinstance(outcomes[5], ConnectionError)
    assert await count(db, InboxMessage) == 10


async def test_stopping_answers_every_waiting_row_and_acknowledges_only_stored_ones(db) -> None:
    writer = InboxWriter(db, lanes=1)  # a second batch waits for the lane: it stays queued
    writer.start()
    stores = [asyncio.ensure_future(writer.store(row(n))) for n in range(100)]
    await asyncio.wait(stores, return_when=asyncio.FIRST_COMPLETED)
    stores += [asyncio.ensure_future(writer.store(row(n))) for n in range(100, 700)]
    await asyncio.sleep(0)  # some of these are taken into batches, the rest still queued
    await writer.stop()
    outcomes = await asyncio.gather(*stores, return_exceptions=True)
    failed = [o for o in outcomes if o is not None]
    assert all(isinstance(o, ConnectionError) for o in failed) and failed
    acknowledged = {row(n)["activity_uri"] for n, o in enumerate(outcomes) if o is None}
    async with db.session() as s:
        stored = set((await s.scalars(select(InboxMessage.activity_uri))).all())
    assert len(acknowledged) >= 100 and acknowledged == stored


@pytest.fixture
async def inbox(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    fediverse = Fediverse()
    fediverse.actor(ALICE, pem=ALICE_PUBLIC)
    application = create_app(settings, outbound_transport=httpx.MockTransport(fediverse.handle))
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url=settings.base_url
        ) as client,
    ):
        yield client


async def test_nul_character_is_400_on_every_database(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    doc = {**follow(anna.uri), "summary": "before\u0000after"}
    response = await post(inbox, "/inbox", json.dumps(doc).encode())
    assert response.status_code == 400 and "U+0000" in response.json()["error"]
    assert await count(db, InboxMessage) == 0


async def test_escaped_backslash_before_u0000_is_plain_text(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    doc = {**follow(anna.uri), "summary": "write \\u0000 for NUL"}  # a backslash, then text
    response = await post(inbox, "/inbox", json.dumps(doc).encode())
    assert response.status_code == 202
    async with db.session() as s:
        stored = await s.scalar(select(InboxMessage))
    assert stored is not None and stored.body["summary"] == "write \\u0000 for NUL"


async def test_a_lost_database_connection_is_replaced(db, settings) -> None:
    if settings.is_sqlite:
        pytest.skip("a server that drops connections is a PostgreSQL matter")
    writer = InboxWriter(db, lanes=1)
    writer.start()
    await writer.store(row(1))
    kept = writer._lanes[0]._connection  # the connection the writer keeps between batches
    assert kept is not None
    pid = await kept.scalar(text("SELECT pg_backend_pid()"))
    async with db.engine.connect() as connection:  # as when the server restarts
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await writer.store(row(2))
    await writer.stop()
    assert await count(db, InboxMessage) == 2
