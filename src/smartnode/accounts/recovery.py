"""One-time recovery codes for the second factor: ten at a time, shown once, only their
SHA-256 kept; each works once (a conditional UPDATE, so two racing requests cannot both use
one)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.secrets import digest
from smartnode.storage.models_accounts import Account, RecoveryCode

COUNT = 10
#: Letters and digits that are hard to mix up when read from paper (no 0/o, 1/l/i).
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS, GROUP_LENGTH = 3, 4  # 12 characters: about 59 bits


def new_code() -> str:
    """A code as shown to the member: `abcd-efgh-jkmn`."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return "-".join(groups)


def normal_code(typed: str) -> str:
    """A typed code lower-cased, without spaces or dashes."""
    return "".join(typed.split()).replace("-", "").lower()


def looks_like_recovery_code(typed: str) -> bool:
    code = normal_code(typed)
    return len(code) == GROUPS * GROUP_LENGTH and all(c in ALPHABET for c in code)


async def replace_codes(session: AsyncSession, account: Account) -> list[str]:
    """New codes for the account (the earlier ones stop working); returned to show once."""
    await forget_codes(session, account)
    codes = [new_code() for _ in range(COUNT)]
    session.add_all(
        RecoveryCode(account_id=account.id, code_hash=digest(normal_code(code))) for code in codes
    )
    await session.flush()
    return codes


async def use_code(session: AsyncSession, account: Account, typed: str, now: datetime) -> bool:
    """Whether `typed` is one of the account's unused codes (and now it is used)."""
    if not looks_like_recovery_code(typed):
        return False
    result = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == digest(normal_code(typed)),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def codes_left(session: AsyncSession, account: Account) -> int:
    """How many of the account's codes are still unused."""
    count = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
    )
    return int(count or 0)


async def forget_codes(session: AsyncSession, account: Account) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
