"""The second factor: TOTP (RFC 6238) seeds kept encrypted, and codes that each work once.

A new seed is stored `pending` (no `totp_enabled_at`) and takes effect only when the member
types a valid code made from it. An accepted code moves `totp_last_step` forward in one
conditional UPDATE, so a step (or an earlier one) is never taken again, even by two requests
racing with the same code.
"""

from __future__ import annotations

import base64
import hmac
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from smartnode.accounts.recovery import forget_codes, replace_codes
from smartnode.config import Settings
from smartnode.errors import ConfigError, Conflict
from smartnode.storage.models_accounts import Account

PERIOD = 30
DIGITS = 6
#: Steps accepted either side of the current one (a clock a little off, a slow typist).
DRIFT = 1


def _fernet(secret: bytes) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"smartnode totp seeds v1"
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_seed(seed: str, secret: bytes) -> str:
    """A seed as stored (Fernet, key derived from the node's secret by HKDF)."""
    return _fernet(secret).encrypt(seed.encode()).decode()


def decrypt_seed(stored: str, secret: bytes) -> str:
    """A stored seed in clear; a wrong secret key is a configuration error."""
    try:
        return _fernet(secret).decrypt(stored.encode()).decode()
    except InvalidToken:
        raise ConfigError(
            "cannot decrypt a stored TOTP seed: SMARTNODE_SECRET_KEY differs from the one "
            "used when it was made"
        ) from None


def is_enabled(account: Account) -> bool:
    return account.totp_enabled_at is not None and account.totp_secret is not None


def provisioning_uri(seed: str, *, handle: str, issuer: str) -> str:
    """The `otpauth://totp/…` URI an authenticator app reads (label `@user@domain`)."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=handle, issuer_name=issuer
    )


async def begin_setup(
    session: AsyncSession, settings: Settings, account: Account, now: datetime
) -> str:
    """A new pending seed for the account (replacing an earlier pending one); Conflict when
    the second factor is on already."""
    if is_enabled(account):
        raise Conflict("the second factor is on already")
    seed = pyotp.random_base32()
    account.totp_secret = encrypt_seed(seed, settings.secret())
    account.totp_enabled_at, account.totp_last_step = None, None
    account.updated_at = now
    await session.flush()
    return seed


def pending_seed(settings: Settings, account: Account) -> str | None:
    """The seed being set up (not enabled yet), if any."""
    if account.totp_secret is None or account.totp_enabled_at is not None:
        return None
    return decrypt_seed(account.totp_secret, settings.secret())


def normal_code(typed: str) -> str:
    """A typed code without spaces or dashes."""
    return "".join(typed.split()).replace("-", "")


def looks_like_totp(typed: str) -> bool:
    code = normal_code(typed)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_steps(seed: str, typed: str, now: datetime) -> list[int]:
    """The time steps around `now` whose code is `typed` (compared in constant time)."""
    if not looks_like_totp(typed):
        return []
    code = normal_code(typed)
    totp = pyotp.TOTP(seed, digits=DIGITS, interval=PERIOD)
    current = int(now.timestamp()) // PERIOD
    steps = range(current - DRIFT, current + DRIFT + 1)
    return [step for step in steps if hmac.compare_digest(totp.generate_otp(step), code)]


async def _claim_step(session: AsyncSession, account: Account, step: int) -> bool:
    """Move the account's last step to `step` unless it is there or further already."""
    result = await session.execute(
        update(Account)
        .where(
            Account.id == account.id,
            or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    set_committed_value(account, "totp_last_step", step)
    return True


async def accept_totp(
    session: AsyncSession, settings: Settings, account: Account, typed: str, now: datetime
) -> bool:
    """Whether `typed` is a code of the account's seed not used before (and now it is)."""
    if account.totp_secret is None:
        return False
    seed = decrypt_seed(account.totp_secret, settings.secret())
    for step in matching_steps(seed, typed, now):
        if await _claim_step(session, account, step):
            return True
    return False


async def enable(
    session: AsyncSession, settings: Settings, account: Account, typed: str, now: datetime
) -> list[str] | None:
    """Turn the pending seed on when `typed` is one of its codes: the new recovery codes (to
    show once), or None for a wrong code. Conflict when nothing is being set up."""
    if is_enabled(account) or account.totp_secret is None:
        raise Conflict("there is no second factor being set up")
    if not await accept_totp(session, settings, account, typed, now):
        return None
    account.totp_enabled_at, account.updated_at = now, now
    await session.flush()
    return await replace_codes(session, account)


async def disable(session: AsyncSession, account: Account, now: datetime) -> None:
    """Turn the second factor off: the seed and the recovery codes are forgotten."""
    account.totp_secret, account.totp_enabled_at, account.totp_last_step = None, None, None
    account.updated_at = now
    await forget_codes(session, account)
    await session.flush()
