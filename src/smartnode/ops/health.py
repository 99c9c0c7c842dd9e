"""Readiness: the database answers, its schema is the code's newest, and (when one is expected)
a worker's loop went round lately. Each check says what is wrong in words safe to show anyone:
no URL, no revision, no version."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from smartnode.ops.heartbeat import STALE_AFTER, last_beat
from smartnode.storage.db import Database
from smartnode.storage.revisions import database_heads

#: A readiness probe gives the database this long before calling it unreachable.
DATABASE_TIMEOUT = 3.0
#: What /readyz asks a load balancer to wait before asking again.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Readiness:
    """Each check's word ("ok" or what is wrong), and whether all are ok."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(word == "ok" for word in self.checks.values())


async def readiness(
    db: Database, heads: frozenset[str], *, worker_expected: bool, now: datetime
) -> Readiness:
    """Check the database, its migrations and the worker's heartbeat (read-only, one
    connection, at most DATABASE_TIMEOUT seconds)."""
    checks = {"database": "ok", "migrations": "ok"}
    if worker_expected:
        checks["worker"] = "ok"
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                try:
                    current = await database_heads(connection)
                except Exception:
                    current = frozenset()
                if current != heads:
                    checks["migrations"] = "not at the code's newest revision: run smartnode init"
                if worker_expected and checks["migrations"] == "ok":
                    checks["worker"] = await _worker_word(db, now)
    except Exception as error:  # a timeout, a refused connection, the driver's own errors
        checks = {name: "unknown" for name in checks} | {"database": _unreachable(error)}
    return Readiness(checks)


async def _worker_word(db: Database, now: datetime) -> str:
    async with db.session() as session:
        beat = await last_beat(session)
    if beat is None:
        return "no worker heartbeat yet"
    if now - beat > STALE_AFTER:
        return f"no worker heartbeat for {int((now - beat).total_seconds())} s"
    return "ok"


def _unreachable(error: BaseException) -> str:
    return "timed out" if isinstance(error, TimeoutError) else "unreachable"
