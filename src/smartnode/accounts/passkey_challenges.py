"""Passkey ceremonies: a random challenge kept server-side, bound to the browser that asked (a
cookie whose SHA-256 is stored) and taken at most once, within a few minutes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.secrets import digest, new_secret
from smartnode.storage.models_passkeys import PasskeyChallenge

REGISTER, SIGN_IN = "register", "signin"
LIFETIME = timedelta(minutes=5)
CHALLENGE_BYTES = 32


@dataclass(frozen=True, slots=True)
class Ceremony:
    """A challenge handed out: the browser's token (for its cookie) and the challenge."""

    token: str
    challenge: bytes


@dataclass(frozen=True, slots=True)
class Taken:
    """A challenge answered: what it was for and whom it was made for (None: anyone)."""

    purpose: str
    account_id: int | None
    challenge: bytes


async def issue_challenge(
    session: AsyncSession, purpose: str, account_id: int | None, now: datetime
) -> Ceremony:
    """A new challenge for one browser; expired ones are swept on the way."""
    await session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now))
    ceremony = Ceremony(token=new_secret(), challenge=secrets.token_bytes(CHALLENGE_BYTES))
    session.add(
        PasskeyChallenge(
            token_hash=digest(ceremony.token),
            purpose=purpose,
            account_id=account_id,
            challenge=ceremony.challenge,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    await session.flush()
    return ceremony


async def take_challenge(
    session: AsyncSession, token: str | None, purpose: str, now: datetime
) -> Taken | None:
    """The browser's live challenge for `purpose`, deleted in the same statement (single use);
    None when there is none, it expired, or it was made for something else."""
    if not token:
        return None
    row = (
        await session.execute(
            delete(PasskeyChallenge)
            .where(PasskeyChallenge.token_hash == digest(token))
            .returning(
                PasskeyChallenge.purpose,
                PasskeyChallenge.account_id,
                PasskeyChallenge.challenge,
                PasskeyChallenge.expires_at,
            )
        )
    ).first()
    if row is None or row.purpose != purpose or row.expires_at <= now:
        return None
    return Taken(purpose=row.purpose, account_id=row.account_id, challenge=bytes(row.challenge))
