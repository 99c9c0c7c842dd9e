"""Which tables each committed transaction wrote (storage/written.py): heard in this process
once it commits, nothing on a rollback; on PostgreSQL every process that listens hears of the
tables views are kept of too (NOTIFY, sent as the transaction commits), and a process takes its
own notices for its own."""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import WebSession
from smartnode.storage.written import CHANNEL, heard, install_listeners, notice, subscribe
from tests.conftest import make_member


class Heard:
    """A reader of this process: what it was told."""

    def __init__(self) -> None:
        self.tables: list[frozenset[str]] = []

    def written(self, tables: frozenset[str]) -> None:
        self.tables.append(tables)


async def test_a_commit_tells_the_tables_it_wrote_and_a_rollback_tells_nothing(
    db, settings
) -> None:
    install_listeners()
    reader = Heard()
    subscribe(reader)
    anna = await make_member(db, settings, "anna")
    assert {"actors", "member_profiles"} <= reader.tables[-1]
    reader.tables.clear()
    async with db.session() as s:
        await s.begin()
        await s.execute(update(Actor).where(Actor.id == anna.id).values(name="Anna Lind"))
        await s.rollback()
    async with db.session() as s, s.begin():
        await s.get(Actor, anna.id)  # a read tells nothing
    assert reader.tables == []
    async with db.session() as s, s.begin():
        await s.execute(update(Actor).where(Actor.id == anna.id).values(name="Anna Berg"))
    async with db.session() as s, s.begin():
        await s.execute(text("UPDATE actors SET name = 'Anna' WHERE id = :id"), {"id": anna.id})
    assert reader.tables == [frozenset({"actors"}), frozenset({"*"})]


async def test_other_processes_hear_the_tables_as_the_transaction_commits(db, settings) -> None:
    if settings.is_sqlite:
        pytest.skip("SQLite serves one process; its readers watch the file (storage/data_version)")
    install_listeners()
    anna = await make_member(db, settings, "anna")
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    listening = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    payloads: asyncio.Queue[str] = asyncio.Queue()
    await listening.add_listener(CHANNEL, lambda *args: payloads.put_nowait(args[-1]))
    try:
        async with db.session() as s:
            await s.begin()
            await s.execute(update(Actor).where(Actor.id == anna.id).values(name="Lind"))
            await s.rollback()
        async with db.session() as s, s.begin():
            await s.execute(text("UPDATE web_sessions SET user_agent = 'x'"))  # told: any table
        async with db.session() as s, s.begin():
            await s.execute(update(WebSession).values(user_agent="y"))  # no view reads it
        async with db.session() as s, s.begin():
            await s.execute(update(Actor).where(Actor.id == anna.id).values(name="Berg"))
        anything = await asyncio.wait_for(payloads.get(), 10)
        payload = await asyncio.wait_for(payloads.get(), 10)
        assert payloads.empty()  # the rolled back transaction sent nothing
    finally:
        await listening.close()
    assert anything == notice(frozenset({"*"}))
    assert payload == notice(frozenset({"actors"}))
    assert heard(payload) is None  # this process's own: its readers were told already
    assert heard("another-process actors objects") == frozenset({"actors", "objects"})
