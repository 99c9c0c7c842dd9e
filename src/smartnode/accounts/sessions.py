"""Browser sessions: server-side rows behind an opaque cookie, with idle and absolute expiry.

A session starts `partial` when a second factor is still owed and becomes `full` when it is
given; only a full session acts for the member. Starting a session always makes a new token
(no fixation), and the token is never stored, only its SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.accounts import ACTIVE
from smartnode.accounts.secrets import digest, new_secret
from smartnode.config import Settings
from smartnode.storage.models_accounts import Account, WebSession

FULL, PARTIAL = "full", "partial"
#: A partial session (password given, second factor owed) lasts this long at most.
PARTIAL_LIFETIME = timedelta(minutes=10)
#: last_used_at is written at most this often per session.
TOUCH_EVERY = timedelta(minutes=1)
MAX_USER_AGENT = 300


@dataclass(frozen=True, slots=True)
class Started:
    """A new session: the cookie value (shown once) and its row."""

    token: str
    row: WebSession


def second_factor_owed(account: Account, method: str) -> bool:
    """A password or a link is a first factor only; passkeys and the provider are complete."""
    return method in ("password", "link") and account.totp_enabled_at is not None


async def start_session(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    now: datetime,
    *,
    method: str,
    user_agent: str = "",
    address: str = "",
) -> Started:
    """A new session for an account just authenticated by `method`."""
    partial = second_factor_owed(account, method)
    lifetime = PARTIAL_LIFETIME if partial else timedelta(days=settings.session_max_days)
    token = new_secret()
    row = WebSession(
        token_hash=digest(token),
        account_id=account.id,
        level=PARTIAL if partial else FULL,
        method=method,
        user_agent=user_agent[:MAX_USER_AGENT],
        address=address[:64],
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    await session.flush()
    return Started(token=token, row=row)


async def find_session(
    session: AsyncSession, settings: Settings, token: str | None, now: datetime
) -> tuple[WebSession, Account] | None:
    """The live session of a cookie and its active account; None when unknown or expired (an
    expired row is deleted). Notes the use at most once a minute."""
    if not token:
        return None
    row = await session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if row is None:
        return None
    idle = timedelta(hours=settings.session_idle_hours)
    if row.expires_at <= now or row.last_used_at + idle <= now:
        await session.delete(row)
        await session.flush()
        return None
    account = await session.get(Account, row.account_id)
    if account is None or account.state != ACTIVE:
        return None
    if now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        await session.flush()
    return row, account


async def complete_session(
    session: AsyncSession, settings: Settings, row: WebSession, now: datetime
) -> Started:
    """The second factor was given: the partial session is replaced by a new full one (a new
    token, so that a cookie seen before the second factor is worth nothing after it)."""
    account = await session.get(Account, row.account_id)
    assert account is not None
    await session.delete(row)
    started = await start_session(
        session, settings, account, now, method="second-factor", user_agent=row.user_agent,
        address=row.address,
    )  # fmt: skip
    return started


async def list_sessions(session: AsyncSession, account: Account) -> list[WebSession]:
    """The account's sessions, most recently used first."""
    rows = await session.scalars(
        select(WebSession)
        .where(WebSession.account_id == account.id, WebSession.level == FULL)
        .order_by(WebSession.last_used_at.desc(), WebSession.id.desc())
    )
    return list(rows)


async def end_session(session: AsyncSession, account: Account, session_id: int) -> bool:
    """Sign one of the account's sessions out; False when it is not theirs or already gone."""
    result = await session.execute(
        delete(WebSession).where(WebSession.id == session_id, WebSession.account_id == account.id)
    )
    return bool(getattr(result, "rowcount", 0))


async def end_all_sessions(
    session: AsyncSession, account: Account, *, keep: int | None = None
) -> int:
    """Sign the account out everywhere (except the session `keep`); how many ended."""
    statement = delete(WebSession).where(WebSession.account_id == account.id)
    if keep is not None:
        statement = statement.where(WebSession.id != keep)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
