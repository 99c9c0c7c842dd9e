"""Giving the second factor: a TOTP code or a recovery code, to finish signing in or to
confirm a change of the factor itself. Wrong codes count in the sign-in throttles (per
account and per address), so guessing six digits is slowed down as guessing a password is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts import throttle
from smartnode.accounts.accounts import member_of
from smartnode.accounts.recovery import replace_codes, use_code
from smartnode.accounts.sessions import PARTIAL, Started, complete_session
from smartnode.accounts.totp import accept_totp, disable, is_enabled, looks_like_totp
from smartnode.config import Settings
from smartnode.storage.models_accounts import Account, WebSession


async def accept_code(
    session: AsyncSession, settings: Settings, account: Account, typed: str, now: datetime
) -> bool:
    """Whether `typed` is a fresh TOTP code or an unused recovery code of the account (either
    is used up by this call)."""
    if not is_enabled(account):
        return False
    if looks_like_totp(typed):
        return await accept_totp(session, settings, account, typed, now)
    return await use_code(session, account, typed, now)


async def _throttle_keys(session: AsyncSession, account: Account, address: str) -> list[str]:
    actor = await member_of(session, account)
    return [throttle.login_key(actor.username), throttle.address_key(address)]


async def checked_code(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    typed: str,
    address: str,
    now: datetime,
) -> bool:
    """`accept_code` behind the throttles: TooManyRequests when slowed down; a wrong code is
    counted (the caller commits the count, so it must not raise afterwards)."""
    keys = await _throttle_keys(session, account, address)
    await throttle.check(session, keys, now)
    if not await accept_code(session, settings, account, typed[:100], now):
        await throttle.record_failure(session, keys, now)
        return False
    await throttle.clear(session, keys[0])
    return True


async def finish_sign_in(
    session: AsyncSession,
    settings: Settings,
    partial: WebSession,
    account: Account,
    typed: str,
    address: str,
    now: datetime,
) -> Started | None:
    """A partial session given its second factor: the new full session (a new token), or None
    for a wrong code."""
    if partial.level != PARTIAL:
        raise ValueError("only a partial session is finished with a second factor")
    if not await checked_code(session, settings, account, typed, address, now):
        return None
    return await complete_session(session, settings, partial, now)


async def new_recovery_codes(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    typed: str,
    address: str,
    now: datetime,
) -> list[str] | None:
    """Fresh recovery codes when `typed` is a valid code (the old ones stop working)."""
    if not await checked_code(session, settings, account, typed, address, now):
        return None
    return await replace_codes(session, account)


async def turn_off(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    typed: str,
    address: str,
    now: datetime,
) -> bool:
    """Turn the second factor off when `typed` is a valid code; whether it was."""
    if not await checked_code(session, settings, account, typed, address, now):
        return False
    await disable(session, account, now)
    return True
