"""A member's own API tokens (for their apps and scripts): listed, made with the scopes they
choose, revoked. Only the member themselves (signed in, or with a member token limited to no scope)
manages them, and only their own. Services never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import ALL_SCOPES, KNOWN_SCOPES, Principal
from smartnode.accounts.tokens import MEMBER_SCOPE, create_token
from smartnode.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import ApiToken

#: The scopes a member may give one of their own tokens.
PERSONAL_SCOPES = KNOWN_SCOPES


@dataclass(frozen=True, slots=True)
class PersonalToken:
    """One of a member's tokens as they see it (never the secret, which is not stored)."""

    id: int
    label: str
    scopes: tuple[str, ...]  # empty: everything the member can do (a token made by the CLI)
    created_at: datetime
    last_used_at: datetime | None


async def _owner(session: AsyncSession, principal: Principal) -> int:
    """The member managing their tokens: themselves, with every scope (no app, no admin, no
    limited token may make or see tokens)."""
    if principal.kind == "anonymous":
        raise Unauthorized("sign in first")
    if principal.kind != "member" or principal.actor_id is None or principal.scopes != ALL_SCOPES:
        raise Forbidden("only the member themselves may manage their API tokens")
    member = await session.get(Actor, principal.actor_id)
    if member is None or not member.local or member.kind != "member" or member.deleted_at:
        raise Forbidden("the member no longer exists")
    return member.id


def _view(row: ApiToken) -> PersonalToken:
    scopes = tuple(sorted((row.scopes or "").split()))
    return PersonalToken(row.id, row.label, scopes, row.created_at, row.last_used_at)


async def my_tokens(session: AsyncSession, principal: Principal) -> list[PersonalToken]:
    """The member's own API tokens, newest first (not the apps' tokens: see oauth_grants)."""
    owner = await _owner(session, principal)
    rows = await session.scalars(
        select(ApiToken)
        .where(ApiToken.scope == MEMBER_SCOPE, ApiToken.actor_id == owner)
        .order_by(ApiToken.id.desc())
    )
    return [_view(row) for row in rows]


async def create_my_token(
    session: AsyncSession, principal: Principal, label: str, scopes: Iterable[str], now: datetime
) -> str:
    """A new token of the member's limited to `scopes` (at least one, all known); the secret,
    to be shown once. ValidationFailed for a bad label or scopes."""
    owner = await _owner(session, principal)
    chosen = frozenset(scopes)
    if not chosen:
        raise ValidationFailed("choose at least one thing the token may do")
    unknown = sorted(chosen - PERSONAL_SCOPES)
    if unknown:
        raise ValidationFailed(f"unknown scope: {' '.join(unknown)}")
    return await create_token(
        session, label=label, now=now, actor_id=owner, scopes=" ".join(sorted(chosen))
    )


async def revoke_my_token(session: AsyncSession, principal: Principal, token_id: int) -> None:
    """Delete one of the member's own tokens; NotFound for anyone else's."""
    owner = await _owner(session, principal)
    row = await session.get(ApiToken, token_id)
    if row is None or row.scope != MEMBER_SCOPE or row.actor_id != owner:
        raise NotFound("no such token of yours")
    await session.delete(row)
    await session.flush()
