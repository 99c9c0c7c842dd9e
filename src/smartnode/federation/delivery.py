"""Delivery policy (pure): classify answers, schedule retries, trip breakers, mark dead hosts.

Interop: follows Mastodon's delivery worker — 2xx done; 404/410 gone; other 4xx except
401/408/429 permanent; everything else (401/408/429, 3xx, 5xx, network) retried with
polynomial backoff + jitter for ~2.5 days, honouring a clamped Retry-After.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

MAX_ATTEMPTS = 16  # Σ attempt⁴ over 16 attempts ≈ 2.4 days
RETRY_AFTER_MIN = timedelta(seconds=1)
RETRY_AFTER_MAX = timedelta(hours=6)
UNAVAILABLE_AFTER_DAYS = 7  # distinct days with failures and no success (Mastodon: 7)
BREAKER_THRESHOLD = 5  # consecutive failures that open a host's breaker
BREAKER_TTL = timedelta(minutes=10)
_RETRYABLE_4XX = frozenset({401, 408, 429})


class Outcome(StrEnum):
    """What a delivery attempt means for its row."""

    DONE = "done"
    GONE = "gone"
    PERMANENT = "failed"
    RETRY = "retry"


def classify(status: int | None) -> Outcome:
    """Outcome of an HTTP status; None means the request did not complete (network error)."""
    if status is None:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.DONE
    if status in (404, 410):
        return Outcome.GONE
    if 400 <= status < 500 and status not in _RETRYABLE_4XX:
        return Outcome.PERMANENT
    return Outcome.RETRY


def backoff(attempt: int, now: datetime, rng: random.Random | None = None) -> datetime | None:
    """When to try again after `attempt` failed attempts, or None once it is time to give up."""
    if attempt >= MAX_ATTEMPTS:
        return None
    chooser = rng or random
    seconds = attempt**4 + 15 + chooser.randint(0, 10 * (attempt + 1))
    return now + timedelta(seconds=seconds)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """A Retry-After header (seconds or HTTP date) as a moment, clamped to [1 s, 6 h]."""
    if not value:
        return None
    value = value.strip()
    moment: datetime | None
    if value.isdigit():
        moment = now + timedelta(seconds=min(int(value), 10**7))
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
    return min(max(moment, now + RETRY_AFTER_MIN), now + RETRY_AFTER_MAX)


def next_attempt_at(
    attempt: int, now: datetime, retry_after: str | None, rng: random.Random | None = None
) -> datetime | None:
    """Backoff, but never earlier than the server asked (within the clamp)."""
    planned = backoff(attempt, now, rng)
    asked = parse_retry_after(retry_after, now)
    if planned is None:
        return None
    return max(planned, asked) if asked else planned


def record_failure_day(days: list[str], today: date) -> list[str]:
    """Add today to a host's distinct failure days (kept short: only the recent ones)."""
    iso = today.isoformat()
    recent = [d for d in days if d != iso][-(UNAVAILABLE_AFTER_DAYS * 2) :]
    return [*recent, iso]


def is_unavailable(days: list[str]) -> bool:
    """A host that failed on enough distinct days is marked unavailable until it answers."""
    return len(set(days)) >= UNAVAILABLE_AFTER_DAYS


@dataclass
class Breaker:
    """Per-host circuit breaker held by one worker: opens after consecutive failures, with TTL."""

    threshold: int = BREAKER_THRESHOLD
    ttl: timedelta = BREAKER_TTL
    _failures: dict[str, int] = field(default_factory=dict)
    _open_until: dict[str, datetime] = field(default_factory=dict)

    def allows(self, host: str, now: datetime) -> bool:
        until = self._open_until.get(host)
        if until is None:
            return True
        if until <= now:  # half-open: let one attempt through
            del self._open_until[host]
            self._failures[host] = self.threshold - 1
            return True
        return False

    def open_until(self, host: str) -> datetime | None:
        return self._open_until.get(host)

    def success(self, host: str) -> None:
        self._failures.pop(host, None)
        self._open_until.pop(host, None)

    def failure(self, host: str, now: datetime) -> None:
        count = self._failures.get(host, 0) + 1
        self._failures[host] = count
        if count >= self.threshold:
            self._open_until[host] = now + self.ttl
