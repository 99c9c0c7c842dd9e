"""Per-host token buckets for the inbox edge: in memory, per process (SQLite's one process);
on PostgreSQL the buckets are shared by every process (ops/shared_limits.py)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


class HostLimiter(Protocol):
    """What the inbox asks before it stores a host's activity."""

    async def wait_for(self, key: str) -> float:
        """0 when allowed (and counted); otherwise the seconds to wait before a retry."""
        ...


class RateLimiter:
    """Allow `per_minute` requests per key with bursts up to the same number.

    At most `max_keys` buckets are kept; a new key evicts the least recently used one, so
    spraying new keys never resets a key that keeps sending (it is always the most recent),
    and an evicted bucket is the one that went longest without a request."""

    def __init__(
        self,
        per_minute: int,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, key: str) -> float:
        """0 when allowed (and counted); otherwise the seconds to wait before a retry."""
        if self.rate <= 0:
            return 0.0
        moment = self._clock()
        known = self._buckets.get(key)
        if known is None:
            while len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            tokens = self.capacity
        else:
            self._buckets.move_to_end(key)
            tokens = min(self.capacity, known[0] + (moment - known[1]) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, moment)
            return (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens - 1.0, moment)
        return 0.0

    async def wait_for(self, key: str) -> float:
        """`check` for the inbox (HostLimiter)."""
        return self.check(key)
