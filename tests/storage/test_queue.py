"""The database as the queue: leases, retries, and concurrent workers never sharing a row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from smartnode.storage import queue
from smartnode.storage.db import Database
from smartnode.storage.models import Job

JOBS = Job.__table__
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def _add_jobs(db: Database, count: int, run_at: datetime = T0) -> None:
    rows = [
        {"kind": "test", "payload": {"n": n}, "state": "pending", "run_at": run_at,
         "attempts": 0, "created_at": T0}
        for n in range(count)
    ]  # fmt: skip
    async with db.session() as s, s.begin():
        await s.execute(insert(JOBS), rows)


async def test_claim_takes_due_rows_oldest_first_and_counts_attempts(db: Database) -> None:
    await _add_jobs(db, 3)
    await _add_jobs(db, 2, run_at=T0 + timedelta(hours=1))  # not due yet
    async with db.session() as s, s.begin():
        claimed = await queue.claim(s, JOBS, now=T0, lease=LEASE, limit=10)
    assert [r.payload["n"] for r in claimed] == [0, 1, 2]
    assert all(r.attempts == 1 and r.locked_until == T0 + LEASE for r in claimed)


async def test_leased_rows_are_not_claimed_again_until_the_lease_expires(db: Database) -> None:
    await _add_jobs(db, 2)
    async with db.session() as s, s.begin():
        first = await queue.claim(s, JOBS, now=T0, lease=LEASE, limit=10)
    async with db.session() as s, s.begin():
        soon = T0 + timedelta(minutes=1)
        assert await queue.claim(s, JOBS, now=soon, lease=LEASE, limit=10) == []
    async with db.session() as s, s.begin():
        expired = T0 + LEASE + timedelta(seconds=1)
        again = await queue.claim(s, JOBS, now=expired, lease=LEASE, limit=10)
    assert sorted(r.id for r in again) == sorted(r.id for r in first)
    assert all(r.attempts == 2 for r in again)


async def test_complete_retry_and_fail_release_rows(db: Database) -> None:
    await _add_jobs(db, 3)
    async with db.session() as s, s.begin():
        a, b, c = await queue.claim(s, JOBS, now=T0, lease=LEASE, limit=10)
        await queue.complete(s, JOBS, [a.id])
        await queue.retry(s, JOBS, b.id, run_at=T0 + timedelta(minutes=1), error="503")
        await queue.fail(s, JOBS, c.id, error="gone")
    async with db.session() as s:
        rows = {j.id: j for j in (await s.scalars(select(Job))).all()}
    assert rows[a.id].state == "done" and rows[a.id].locked_until is None
    assert rows[b.id].state == "pending" and rows[b.id].last_error == "503"
    assert rows[b.id].run_at == T0 + timedelta(minutes=1) and rows[b.id].locked_until is None
    assert rows[c.id].state == "failed" and rows[c.id].last_error == "gone"
    async with db.session() as s, s.begin():
        later = await queue.claim(s, JOBS, now=T0 + timedelta(minutes=2), lease=LEASE, limit=10)
    assert [r.id for r in later] == [b.id]


async def test_concurrent_workers_never_claim_the_same_row(db: Database) -> None:
    await _add_jobs(db, 120)
    seen: list[int] = []

    async def worker() -> None:
        while True:
            async with db.session() as s, s.begin():
                rows = await queue.claim(s, JOBS, now=T0, lease=LEASE, limit=7)
                if not rows:
                    return
                seen.extend(r.id for r in rows)
                await queue.complete(s, JOBS, [r.id for r in rows])
            await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(4)))
    assert len(seen) == 120
    assert len(set(seen)) == 120
    async with db.session() as s:
        states = (await s.scalars(select(Job.state))).all()
    assert set(states) == {"done"}
