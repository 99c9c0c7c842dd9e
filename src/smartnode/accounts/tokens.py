"""Bearer tokens for the native API: only a SHA-256 of each token is stored.

An admin token changes the node; a member token acts for one member (its `actor_id`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.secrets import digest, new_secret
from smartnode.errors import Unauthorized, ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import ApiToken

ADMIN_SCOPE = "admin"
MEMBER_SCOPE = "member"
APP_SCOPE = "app"  # an OAuth 2 access token: acts for `actor_id` within `scopes`
TOKEN_BYTES = 32
MAX_LABEL = 100
#: last_used_at is written at most this often per token (reads stay read-only in between).
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256 as lower-case hex."""
    return digest(token)


async def create_token(
    session: AsyncSession,
    *,
    label: str,
    now: datetime,
    actor_id: int | None = None,
    scopes: str | None = None,
) -> str:
    """A new admin token (a member token when `actor_id` is given, limited to `scopes` when
    given); the plaintext, shown once."""
    label = " ".join(label.split())
    if not label or len(label) > MAX_LABEL:
        raise ValidationFailed(f"token label must be 1-{MAX_LABEL} characters")
    token = new_secret(TOKEN_BYTES)
    scope = ADMIN_SCOPE if actor_id is None else MEMBER_SCOPE
    session.add(
        ApiToken(
            token_hash=hash_token(token),
            label=label,
            scope=scope,
            actor_id=actor_id,
            created_at=now,
            scopes=scopes,
        )
    )
    await session.flush()
    return token


async def check_token(session: AsyncSession, token: str, now: datetime) -> ApiToken:
    """The stored token matching `token` (Unauthorized if none); notes when it was last used."""
    return (await check_token_and_member(session, token, now))[0]


async def check_token_and_member(
    session: AsyncSession, token: str, now: datetime
) -> tuple[ApiToken, Actor | None]:
    """check_token, with the live local member the token names read in the same statement
    (None for a token of no member, or of a member deleted since)."""
    if not token:
        raise Unauthorized("an API token is required")
    member = and_(Actor.id == ApiToken.actor_id, Actor.local.is_(True), Actor.kind == "member",
                  Actor.deleted_at.is_(None))  # fmt: skip
    found = (await session.execute(
        select(ApiToken, Actor).outerjoin(Actor, member)
        .where(ApiToken.token_hash == hash_token(token))
    )).first()  # fmt: skip
    if found is None:
        raise Unauthorized("the API token is not valid (unknown or revoked)")
    row, actor = found
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("the API token has expired")
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        await session.flush()
    return row, actor


async def revoke_token(session: AsyncSession, *, label: str) -> int:
    """Delete every token with this label; returns how many were deleted. Does not commit."""
    result = await session.execute(delete(ApiToken).where(ApiToken.label == label))
    return int(getattr(result, "rowcount", 0) or 0)
