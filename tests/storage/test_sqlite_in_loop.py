"""SQLite on the loop's thread (the worker process): a lock held elsewhere is waited for by
sleeping on the loop, so the transaction holding it can finish. These tests use a SQLite file of
their own whatever database the suite runs on: the driver exists for SQLite only."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from smartnode.config import load_settings
from smartnode.storage.db import Database


@pytest.fixture
async def in_loop(tmp_path: Path) -> AsyncIterator[tuple[Database, Path]]:
    path = tmp_path / "node.db"
    settings = load_settings(
        domain="se.smart.test", base_url="https://se.smart.test", data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{path}", secret_key="test-secret-key",
    )  # fmt: skip
    db = Database(settings, sqlite_in_loop=True)
    async with db.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield db, path
    await db.dispose()


async def rows(db: Database) -> list[int]:
    async with db.session() as session:
        return list((await session.scalars(text("SELECT n FROM t ORDER BY rowid"))).all())


async def test_statements_run_on_the_loops_own_thread(in_loop: tuple[Database, Path]) -> None:
    db, _ = in_loop
    threads: list[int] = []
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver._execute(lambda: threads.append(threading.get_ident()))
    assert threads == [threading.get_ident()]


async def test_a_write_waits_without_blocking_the_loop_for_another_process_lock(
    in_loop: tuple[Database, Path],
) -> None:
    db, path = in_loop
    other = sqlite3.connect(path, isolation_level=None)  # as the API process would hold it
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    ticks = 0

    async def release_later() -> None:
        nonlocal ticks
        for _ in range(20):
            await asyncio.sleep(0.01)  # runs only while the waiting write leaves the loop free
            ticks += 1
        other.execute("COMMIT")

    async def write() -> None:
        async with db.session() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (2)"))

    await asyncio.gather(write(), release_later())
    other.close()
    assert ticks == 20
    assert await rows(db) == [1, 2]


async def test_two_transactions_of_one_loop_take_turns_instead_of_deadlocking(
    in_loop: tuple[Database, Path],
) -> None:
    db, _ = in_loop
    first_holds_the_lock = asyncio.Event()

    async def first() -> None:
        async with db.session() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (1)"))
            first_holds_the_lock.set()
            await asyncio.sleep(0.2)  # the second one tries to write meanwhile
            await session.execute(text("INSERT INTO t VALUES (2)"))

    async def second() -> None:
        await first_holds_the_lock.wait()
        async with db.session() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (3)"))

    await asyncio.wait_for(asyncio.gather(first(), second()), timeout=5)
    assert await rows(db) == [1, 2, 3]


async def test_a_failing_statement_raises_and_leaves_nothing(
    in_loop: tuple[Database, Path],
) -> None:
    db, _ = in_loop
    with pytest.raises(Exception, match="no such table"):
        async with db.session() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (1)"))
            await session.execute(text("INSERT INTO missing VALUES (1)"))
    assert await rows(db) == []
