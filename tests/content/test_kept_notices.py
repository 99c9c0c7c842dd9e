"""Notifications kept for the commit: one INSERT for a transaction's lot, each member told once
per (kind, object), the new ones streamed, none kept after a rollback or a savepoint's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select

from smartnode.config import Settings
from smartnode.content.notices import notify, notify_at_commit
from smartnode.content.stream_broker import NOTIFICATION, Event, broker_for
from smartnode.storage.db import Database
from smartnode.storage.models_work import Notification
from tests.conftest import make_member

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
POST = "https://remote.example/notes/1"


async def _rows(db: Database) -> list[tuple[int, str, str]]:
    async with db.session() as session:
        found = await session.execute(
            select(Notification.actor_id, Notification.kind, Notification.object_uri)
            .order_by(Notification.id)
        )  # fmt: skip
    return [(actor_id, kind, uri) for actor_id, kind, uri in found.all()]


async def _heard(queue: asyncio.Queue[Event], count: int) -> list[Event]:
    found = []
    for _ in range(count):
        found.append(await asyncio.wait_for(queue.get(), timeout=10))
    await asyncio.sleep(0.2)  # nothing more comes
    assert queue.empty()
    return found


async def test_kept_notifications_are_one_insert_at_commit_and_only_new_ones_are_streamed(
    db: Database, settings: Settings
) -> None:
    anna = await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    async with db.session() as session, session.begin():
        await notify(session, bo.id, "mentioned", POST, None, NOW)  # told already
    broker = broker_for(settings.database_url)
    queue = await broker.subscribe()
    inserts: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.startswith("INSERT INTO notifications"):
            inserts.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with db.session() as session, session.begin():
            notify_at_commit(session, anna.id, "mentioned", POST, {"actor": "x"}, NOW)
            notify_at_commit(session, anna.id, "mentioned", POST, {"actor": "x"}, NOW)  # twice
            notify_at_commit(session, anna.id, "replied", POST, None, NOW)
            notify_at_commit(session, bo.id, "mentioned", POST, None, NOW)
            assert await session.scalar(select(Notification.id).where(
                Notification.actor_id == anna.id)) is None  # fmt: skip
        heard = await _heard(queue, 2)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        await broker.unsubscribe(queue)
    assert len(inserts) == 1  # the four rows in one statement
    assert await _rows(db) == [(bo.id, "mentioned", POST), (anna.id, "mentioned", POST),
                               (anna.id, "replied", POST)]  # fmt: skip
    assert sorted((e.kind, e.ref, e.note_kind, e.uri) for e in heard) == [
        (NOTIFICATION, anna.id, "mentioned", POST),
        (NOTIFICATION, anna.id, "replied", POST),
    ]


async def test_a_rollback_forgets_the_kept_ones_and_a_savepoint_those_kept_inside(
    db: Database, settings: Settings
) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as session:
        await session.begin()
        notify_at_commit(session, anna.id, "mentioned", "https://remote.example/lost", None, NOW)
        await session.rollback()
        async with session.begin():
            notify_at_commit(session, anna.id, "mentioned", "https://remote.example/a", None, NOW)
            savepoint = await session.begin_nested()
            notify_at_commit(session, anna.id, "mentioned", "https://remote.example/b", None, NOW)
            inner = await session.begin_nested()
            notify_at_commit(session, anna.id, "mentioned", "https://remote.example/c", None, NOW)
            await inner.commit()
            await savepoint.rollback()
            kept = await session.begin_nested()
            notify_at_commit(session, anna.id, "mentioned", "https://remote.example/d", None, NOW)
            await kept.commit()
    assert [uri for _, _, uri in await _rows(db)] == [
        "https://remote.example/a", "https://remote.example/d"]  # fmt: skip
