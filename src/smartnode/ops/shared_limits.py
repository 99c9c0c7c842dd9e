"""Inbox rate limits shared by every API process on PostgreSQL (SQLite: one process, in memory).

A host's token bucket is one row of `rate_buckets` (unlogged), taken in one statement: the
bucket refills by elapsed time on the database's clock (the same for every process and host),
and a token is taken only when one is there. A refused request changes nothing, as in the
in-process limiter. Buckets idle long enough to be full are deleted now and then. If the
database does not answer, the process falls back to its own in-memory limiter (logged), so a
flood is still held per process.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from smartnode.config import Settings
from smartnode.inbox.ratelimit import HostLimiter, RateLimiter
from smartnode.storage.db import Database

log = logging.getLogger(__name__)

#: How often (seconds) a process deletes full, idle buckets.
SWEEP_EVERY = 60.0

_TAKE = text("""
INSERT INTO rate_buckets AS b (key, tokens, updated_at) VALUES (:key, :capacity - 1, now())
ON CONFLICT (key) DO UPDATE
  SET tokens = LEAST(:capacity,
                     b.tokens + EXTRACT(EPOCH FROM now() - b.updated_at) * :rate) - 1,
      updated_at = now()
  WHERE LEAST(:capacity, b.tokens + EXTRACT(EPOCH FROM now() - b.updated_at) * :rate) >= 1
RETURNING b.tokens
""")
_SWEEP = text("DELETE FROM rate_buckets WHERE updated_at < now() - make_interval(secs => :idle)")


class SharedRateLimiter:
    """`per_minute` requests per key, bursts up to the same, counted in PostgreSQL."""

    def __init__(self, db: Database, per_minute: int, prefix: str = "inbox:") -> None:
        self.db = db
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.prefix = prefix
        self.fallback = RateLimiter(per_minute)
        self._swept_at = time.monotonic()

    async def wait_for(self, key: str) -> float:
        if self.rate <= 0:
            return 0.0
        params = {"key": (self.prefix + key)[:255], "capacity": self.capacity, "rate": self.rate}
        try:
            async with self.db.engine.begin() as conn:
                taken = (await conn.execute(_TAKE, params)).first()
                if time.monotonic() - self._swept_at > SWEEP_EVERY:
                    self._swept_at = time.monotonic()
                    await conn.execute(_SWEEP, {"idle": self.capacity / self.rate})
        except (SQLAlchemyError, OSError) as error:
            log.warning("shared rate limit unavailable (%s): this process counts alone",
                        type(error).__name__)  # fmt: skip
            return self.fallback.check(key)
        # No row: the bucket held less than one token. A token comes back within 1/rate s.
        return 0.0 if taken is not None else 1.0 / self.rate


def inbox_limiter(settings: Settings, db: Database) -> HostLimiter:
    """The inbox's per-host limiter: shared in PostgreSQL, or this process's own on SQLite."""
    if settings.is_sqlite:
        return RateLimiter(settings.inbox_rate_per_minute)
    return SharedRateLimiter(db, settings.inbox_rate_per_minute)
