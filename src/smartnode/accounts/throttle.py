"""Slowing down guessing: failed sign-ins counted per key in rows every process shares.

Keys are what was typed (`login:<name or address>`, whether or not such an account exists, so
that the answer never tells which accounts exist) and where it came from (`address:<ip>`).
Past a key's limit within the window, that key is refused until `blocked_until` with 429 and
Retry-After; each further block doubles, up to an hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.errors import TooManyRequests
from smartnode.storage.models_accounts import SignInThrottle
from smartnode.storage.upsert import insert_ignoring_conflicts

WINDOW = timedelta(minutes=15)
FIRST_BLOCK = timedelta(minutes=1)
LONGEST_BLOCK = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Limit:
    """How many failures a kind of key may have in a window."""

    prefix: str
    failures: int


LOGIN = Limit("login", 5)
ADDRESS = Limit("address", 30)
LIMITS = {LOGIN.prefix: LOGIN, ADDRESS.prefix: ADDRESS}
MAX_KEY = 120


def login_key(typed: str) -> str:
    """The key of what was typed to sign in (an unknown name gets a key too)."""
    return f"login:{' '.join(typed.split()).lower()}"[:MAX_KEY]


def address_key(address: str) -> str:
    """The key of a client address."""
    return f"address:{address}"[:MAX_KEY]


async def check(session: AsyncSession, keys: Iterable[str], now: datetime) -> None:
    """TooManyRequests when any of the keys is blocked now."""
    rows = await session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(list(keys))))
    waits = [
        row.blocked_until - now for row in rows if row.blocked_until and row.blocked_until > now
    ]
    if waits:
        seconds = int(max(waits).total_seconds()) + 1
        raise TooManyRequests("too many attempts: wait a moment, then try again", seconds)


async def record_failure(session: AsyncSession, keys: Iterable[str], now: datetime) -> None:
    """Count a failed attempt against each key; block the keys that passed their limit."""
    for key in keys:
        await insert_ignoring_conflicts(
            session, SignInThrottle.__table__,  # type: ignore[arg-type]
            [{"key": key, "failures": 0, "window_started_at": now}],
        )  # fmt: skip
        row = await session.get(SignInThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
        if row.window_started_at + WINDOW <= now and (
            row.blocked_until is None or row.blocked_until <= now
        ):
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        limit = LIMITS.get(key.partition(":")[0], LOGIN).failures
        if row.failures >= limit:
            over = row.failures - limit
            row.blocked_until = now + min(FIRST_BLOCK * (2**over), LONGEST_BLOCK)
    await session.flush()


async def clear(session: AsyncSession, key: str) -> None:
    """Forget a key's failures (after a successful sign-in)."""
    await session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


async def forget_old(session: AsyncSession, now: datetime) -> int:
    """Delete rows whose window and block are both over; how many went."""
    result = await session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.window_started_at < now - WINDOW - LONGEST_BLOCK
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
