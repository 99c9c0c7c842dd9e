"""The worker's heartbeat: one row per worker process, written at most every few seconds by its
loop, read by /readyz, /metrics and `smartnode doctor` (one more way to see a stuck worker)."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.storage.db import Database
from smartnode.storage.models import table
from smartnode.storage.models_ops import WorkerHeartbeat
from smartnode.storage.upsert import insert_ignoring_conflicts

#: A worker writes its row at most this often (a negligible cost: one UPDATE every 5 s).
BEAT_EVERY = timedelta(seconds=5)
#: A worker whose last beat is older than this is taken for stuck or gone.
STALE_AFTER = timedelta(seconds=60)
#: Rows of workers silent this long are removed when another worker starts.
FORGET_AFTER = timedelta(days=1)


def worker_name() -> str:
    """This process's name in the table: host, pid and a random tail (pids are reused)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


class Heartbeat:
    """Writes one worker's row; `beat(now)` is cheap to call on every round of a loop."""

    def __init__(self, db: Database, name: str | None = None) -> None:
        self.db = db
        self.name = name or worker_name()
        self._last: datetime | None = None

    async def beat(self, now: datetime) -> bool:
        """Note that the loop went round (a write only every BEAT_EVERY); whether it wrote."""
        if self._last is not None and now - self._last < BEAT_EVERY:
            return False
        async with self.db.session() as session, session.begin():
            if self._last is None:
                await session.execute(
                    delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER)
                )
                await insert_ignoring_conflicts(
                    session,
                    table(WorkerHeartbeat),
                    [{"worker": self.name, "started_at": now, "beat_at": now}],
                )
            else:
                await session.execute(
                    update(WorkerHeartbeat)
                    .where(WorkerHeartbeat.worker == self.name)
                    .values(beat_at=now)
                )
        self._last = now
        return True

    async def stop(self) -> None:
        """Remove this worker's row (a worker that stops cleanly is not a stuck one)."""
        async with self.db.session() as session, session.begin():
            await session.execute(
                delete(WorkerHeartbeat).where(WorkerHeartbeat.worker == self.name)
            )


async def last_beat(session: AsyncSession) -> datetime | None:
    """When any worker's loop last went round (None: no worker has run, or all stopped)."""
    return await session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
