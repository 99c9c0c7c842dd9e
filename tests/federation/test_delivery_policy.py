"""Delivery policy: which answers retry, how long we wait, when hosts are given up on."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from smartnode.federation.delivery import (
    MAX_ATTEMPTS,
    Breaker,
    Outcome,
    backoff,
    classify,
    is_unavailable,
    next_attempt_at,
    parse_retry_after,
    record_failure_day,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DONE), (202, Outcome.DONE), (204, Outcome.DONE),
        (404, Outcome.GONE), (410, Outcome.GONE),
        (400, Outcome.PERMANENT), (403, Outcome.PERMANENT), (422, Outcome.PERMANENT),
        (401, Outcome.RETRY), (408, Outcome.RETRY), (429, Outcome.RETRY),
        (301, Outcome.RETRY), (500, Outcome.RETRY), (502, Outcome.RETRY), (503, Outcome.RETRY),
        (None, Outcome.RETRY),
    ],
)  # fmt: skip
def test_answers_are_classified_like_mastodon(status: int | None, outcome: Outcome) -> None:
    assert classify(status) is outcome


def test_backoff_grows_has_jitter_and_gives_up_after_about_two_and_a_half_days() -> None:
    rng = random.Random(7)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        moment = backoff(attempt, NOW, rng)
        assert moment is not None
        waits.append((moment - NOW).total_seconds())
    assert waits == sorted(waits)
    assert timedelta(days=2) < timedelta(seconds=sum(waits)) < timedelta(days=3)
    assert backoff(MAX_ATTEMPTS, NOW, rng) is None
    spread = {backoff(3, NOW, random.Random(seed)) for seed in range(20)}
    assert len(spread) > 5  # jitter: attempts of many deliveries do not line up


def test_retry_after_is_honoured_and_clamped() -> None:
    assert parse_retry_after("120", NOW) == NOW + timedelta(seconds=120)
    assert parse_retry_after("0", NOW) == NOW + timedelta(seconds=1)
    assert parse_retry_after("99999999", NOW) == NOW + timedelta(hours=6)
    assert parse_retry_after("Thu, 26 Nov 2026 12:30:00 GMT", NOW) == NOW + timedelta(minutes=30)
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    asked = next_attempt_at(1, NOW, "3600", random.Random(1))
    assert asked == NOW + timedelta(hours=1)  # the server asked for longer than our backoff


def test_hosts_failing_on_seven_distinct_days_are_unavailable() -> None:
    days: list[str] = []
    for offset in range(6):
        days = record_failure_day(days, date(2026, 11, 1) + timedelta(days=offset))
        days = record_failure_day(days, date(2026, 11, 1) + timedelta(days=offset))  # same day
    assert not is_unavailable(days)
    days = record_failure_day(days, date(2026, 11, 9))
    assert is_unavailable(days)


def test_breaker_opens_after_consecutive_failures_and_half_opens_after_ttl() -> None:
    breaker = Breaker(threshold=3, ttl=timedelta(minutes=10))
    for _ in range(3):
        assert breaker.allows("dead.example", NOW)
        breaker.failure("dead.example", NOW)
    assert not breaker.allows("dead.example", NOW + timedelta(minutes=5))
    assert breaker.allows("alive.example", NOW)
    assert breaker.allows("dead.example", NOW + timedelta(minutes=11))  # one probe
    breaker.failure("dead.example", NOW + timedelta(minutes=11))
    assert not breaker.allows("dead.example", NOW + timedelta(minutes=12))
    breaker.success("dead.example")
    assert breaker.allows("dead.example", NOW + timedelta(minutes=12))
