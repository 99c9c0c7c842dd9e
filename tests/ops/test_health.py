"""/healthz and /readyz as a load balancer sees them: 200 when ready, 503 naming what is wrong
(with Retry-After), never cached, nothing secret or versioned in the words."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text, update

from smartnode import __version__
from smartnode.config import Settings
from smartnode.ops.heartbeat import Heartbeat
from smartnode.storage.db import Database
from smartnode.storage.models_ops import WorkerHeartbeat
from tests.conftest import TEST_SECRET, now
from tests.ops import node_client


async def test_healthz_answers_ok_uncached_and_without_auth(
    settings: Settings, db: Database
) -> None:
    async with node_client(settings) as client:
        answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer.headers["cache-control"] == "no-store"


async def test_readyz_is_ready_on_a_migrated_database_without_a_worker_expected(
    settings: Settings, db: Database
) -> None:
    async with node_client(settings) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert answer.headers["cache-control"] == "no-store"


async def test_readyz_waits_for_a_recent_worker_heartbeat_when_one_is_expected(
    settings: Settings, db: Database
) -> None:
    async with node_client(settings, expect_worker=True) as client:
        none_yet = await client.get("/readyz")
        beat = Heartbeat(db, "worker-a")
        await beat.beat(now() - timedelta(minutes=5))
        stale = await client.get("/readyz")
        await Heartbeat(db, "worker-b").beat(now())
        fresh = await client.get("/readyz")
    assert none_yet.status_code == 503 and none_yet.headers["retry-after"] == "5"
    assert none_yet.json()["checks"]["worker"] == "no worker heartbeat yet"
    assert stale.status_code == 503
    assert stale.json()["checks"]["worker"].startswith("no worker heartbeat for 3")
    assert fresh.status_code == 200 and fresh.json()["checks"]["worker"] == "ok"


async def test_the_in_process_worker_beats_and_stops_its_row_on_shutdown(
    settings: Settings, db: Database
) -> None:
    async with node_client(settings, in_process_worker=True) as client:
        for _ in range(400):  # the worker's first round writes the row
            answer = await client.get("/readyz")
            if answer.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert answer.status_code == 200 and answer.json()["checks"]["worker"] == "ok"
    async with db.session() as session:
        rows = (await session.execute(text("SELECT count(*) FROM worker_heartbeats"))).scalar()
    assert rows == 0  # a worker that stopped cleanly is not a stuck one


async def test_readyz_names_migrations_behind_the_code(settings: Settings, db: Database) -> None:
    async with db.engine.begin() as conn:
        [head] = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
        await conn.execute(text("UPDATE alembic_version SET version_num = '0021'"))
    try:
        async with node_client(settings) as client:
            answer = await client.get("/readyz")
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["migrations"] == "not at the code's newest revision: run smartnode init"
    assert "0021" not in answer.text and head not in answer.text


async def test_readyz_names_an_unreachable_database_and_leaks_nothing(
    settings: Settings, db: Database
) -> None:
    gone = "postgresql+asyncpg://smartnode:a-db-password@127.0.0.1:9/nowhere"
    async with node_client(settings) as client:
        app_db: Database = client.app.state.db  # type: ignore[attr-defined]
        client.app.state.db = Database(settings.model_copy(update={"database_url": gone}))  # type: ignore[attr-defined]
        try:
            answer = await client.get("/readyz")
        finally:
            await client.app.state.db.dispose()  # type: ignore[attr-defined]
            client.app.state.db = app_db  # type: ignore[attr-defined]
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "migrations": "unknown"},
    }
    for secret in ("a-db-password", "127.0.0.1:9", TEST_SECRET, __version__):
        assert secret not in answer.text


async def test_a_heartbeat_writes_at_most_every_few_seconds(db: Database) -> None:
    beat = Heartbeat(db, "worker-c")
    start = now()
    written = [await beat.beat(start + timedelta(seconds=s)) for s in (0, 1, 2, 4.9, 5, 6, 11)]
    assert written == [True, False, False, False, True, False, True]
    async with db.session() as session:
        row = await session.get(WorkerHeartbeat, "worker-c")
    assert row is not None and row.beat_at == start + timedelta(seconds=11)
    assert row.started_at == start
    async with db.session() as session, session.begin():
        await session.execute(update(WorkerHeartbeat).values(beat_at=start - timedelta(days=2)))
    await Heartbeat(db, "worker-d").beat(start)  # a new worker forgets the long-silent ones
    async with db.session() as session:
        assert await session.get(WorkerHeartbeat, "worker-c") is None
