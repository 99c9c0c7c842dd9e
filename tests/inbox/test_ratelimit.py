"""The inbox rate limiter: token buckets per host that no input can reset for another host."""

from __future__ import annotations

from smartnode.inbox.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _exhaust(limiter: RateLimiter, key: str) -> None:
    while limiter.check(key) == 0:
        pass


def test_a_host_over_its_budget_waits_for_its_tokens() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    assert all(limiter.check("flood.example") == 0 for _ in range(60))
    assert limiter.check("flood.example") == 1.0
    clock.now += 1.0
    assert limiter.check("flood.example") == 0
    assert limiter.check("other.example") == 0


def test_spraying_new_hosts_does_not_reset_a_limited_host() -> None:
    """Before: a full table was cleared, so 50,000 made-up hostnames reset every limit."""
    clock = Clock()
    limiter = RateLimiter(60, max_keys=1000, clock=clock)
    _exhaust(limiter, "flood.example")
    for n in range(5000):
        limiter.check(f"spray-{n}.example")
        if n % 100 == 0:
            assert limiter.check("flood.example") > 0
    assert limiter.check("flood.example") > 0
    assert len(limiter) == 1000


def test_the_least_recently_used_host_is_evicted_first() -> None:
    clock = Clock()
    limiter = RateLimiter(60, max_keys=3, clock=clock)
    _exhaust(limiter, "old.example")
    _exhaust(limiter, "recent.example")
    limiter.check("third.example")
    assert limiter.check("recent.example") > 0  # touched: now the most recent
    limiter.check("new.example")  # evicts old.example, the least recently used
    assert limiter.check("old.example") == 0
    assert limiter.check("recent.example") > 0


def test_a_zero_rate_means_no_limit() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.check("any.example") == 0 for _ in range(1000))
    assert len(limiter) == 0
