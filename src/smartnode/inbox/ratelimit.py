"""Per-host token buckets for the inbox edge (in memory, per process)."""

from __future__ import annotations

import time


class RateLimiter:
    """Allow `per_minute` requests per key with bursts up to the same number."""

    def __init__(self, per_minute: int, max_keys: int = 50_000) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str) -> float:
        """0 when allowed (and counted); otherwise the seconds to wait before a retry."""
        if self.rate <= 0:
            return 0.0
        moment = time.monotonic()
        tokens, last = self._buckets.get(key, (self.capacity, moment))
        tokens = min(self.capacity, tokens + (moment - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, moment)
            return (1.0 - tokens) / self.rate
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, moment)
        return 0.0
