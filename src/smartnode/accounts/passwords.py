"""Passwords: Argon2id hashes, a refusal of common and guessable passwords, and signing in
with a name (or email address) and a password without telling which accounts exist.

An unknown name costs the same Argon2 work as a known one (a dummy hash is checked), and every
failure gives the same answer; failures are counted per typed name and per address
(accounts/throttle.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn import zxcvbn

from smartnode.accounts import throttle
from smartnode.accounts.accounts import ACTIVE, SUSPENDED, account_by_email, account_of
from smartnode.accounts.sessions import end_all_sessions
from smartnode.errors import ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import Account
from smartnode.translatable import N_

MIN_LENGTH = 10
MAX_LENGTH = 1000
#: zxcvbn's score 0–4; below this a password is refused as too easy to guess.
MIN_SCORE = 3
#: zxcvbn looks at this many characters at most (its cost grows with length).
ANALYSED = 100
HASHER = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory profile


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not a password of anyone on this node")


class WeakPassword(ValidationFailed):
    """A password refused; `reason` is an English message the pages translate."""

    code = "weak_password"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


TOO_SHORT = N_("Use at least 10 characters.")
TOO_LONG = N_("Use at most 1000 characters.")
TOO_COMMON = N_(
    "This password is too common or too easy to guess. A few unrelated words make a strong one."
)


def check_strength(password: str, personal: list[str]) -> None:
    """WeakPassword unless `password` is long enough and hard to guess; `personal` are words
    of the member (name, username, email) that a strong password does not lean on."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise WeakPassword(TOO_LONG)
    words = [word for word in personal if word]
    if zxcvbn(password[:ANALYSED], user_inputs=words)["score"] < MIN_SCORE:
        raise WeakPassword(TOO_COMMON)


async def set_password(
    session: AsyncSession, account: Account, actor: Actor, password: str, now: datetime
) -> None:
    """Check and store a new password (hashed); the account becomes active if invited."""
    personal = [actor.username, actor.name, *(account.email or "").split("@")]
    check_strength(password, personal)
    account.password_hash = HASHER.hash(password)
    if account.state != SUSPENDED:
        account.state = ACTIVE
    account.updated_at = now
    await session.flush()


def password_matches(account: Account | None, password: str) -> bool:
    """Whether `password` is the account's; the same Argon2 work when there is no account or
    no password, so timing tells nothing."""
    stored = account.password_hash if account is not None else None
    try:
        return HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def find_by_name(session: AsyncSession, typed: str) -> Account | None:
    """The account of a username (with or without @ and domain) or an email address."""
    typed = typed.strip().lstrip("@")
    if "@" in typed:
        by_email = await account_by_email(session, typed)
        if by_email is not None:
            return by_email
        typed = typed.split("@", 1)[0]
    actor = await session.scalar(
        select(Actor).where(
            Actor.local.is_(True),
            Actor.kind == "member",
            Actor.username == typed.lower(),
            Actor.deleted_at.is_(None),
        )
    )
    return await account_of(session, actor.id) if actor is not None else None


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a password sign-in: the account, or why not (`wrong` or `suspended`)."""

    account: Account | None
    refusal: str | None = None


async def sign_in_with_password(
    session: AsyncSession, typed: str, password: str, address: str, now: datetime
) -> SignIn:
    """Check a name and password. TooManyRequests when slowed down; a failure is counted and
    must be committed by the caller (the outcome is returned, not raised)."""
    keys = [throttle.login_key(typed), throttle.address_key(address)]
    await throttle.check(session, keys, now)
    account = await find_by_name(session, typed) if typed.strip() else None
    if not password_matches(account, password[:MAX_LENGTH]) or account is None:
        await throttle.record_failure(session, keys, now)
        return SignIn(account=None, refusal="wrong")
    if account.state == SUSPENDED:
        return SignIn(account=None, refusal="suspended")
    if account.state != ACTIVE:
        return SignIn(account=None, refusal="wrong")
    assert account.password_hash is not None
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = HASHER.hash(password)
    await throttle.clear(session, keys[0])
    return SignIn(account=account)


WRONG_CURRENT = N_("Your current password is not right.")


async def change_password(
    session: AsyncSession,
    account: Account,
    actor: Actor,
    current: str,
    new: str,
    now: datetime,
    *,
    keep_session: int | None,
) -> str | None:
    """A signed-in member changes (or first sets) their password; every other session ends.
    Returns the English reason for a refusal, None when changed; WeakPassword for a weak one."""
    if account.password_hash is not None and not password_matches(account, current[:MAX_LENGTH]):
        return WRONG_CURRENT
    await set_password(session, account, actor, new, now)
    await end_all_sessions(session, account, keep=keep_session)
    return None
