"""Every bearer token of the node, as its operator sees them (`smartnode token list` and
`token revoke`): admin and member tokens, apps' OAuth tokens. Never a secret: only digests are
stored. Admins only; services never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.errors import Forbidden, NotFound
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import ApiToken, OAuthClient


@dataclass(frozen=True, slots=True)
class TokenView:
    """One token: its kind (admin | member | app | client), whom it acts for, its label or its
    app's name, what it may do, when it was made and last used."""

    id: int
    kind: str
    owner: str  # a member's username, or "" for the node itself
    label: str
    app: str
    scopes: tuple[str, ...]  # empty: everything its kind may do
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


def _admin_only(principal: Principal) -> None:
    if not principal.is_admin or principal.actor_id is not None:
        raise Forbidden("only an admin (the operator) may see and revoke every token")


async def all_tokens(session: AsyncSession, principal: Principal) -> list[TokenView]:
    """Every token of the node, oldest first."""
    _admin_only(principal)
    return await _views(session)


async def _views(session: AsyncSession, token_id: int | None = None) -> list[TokenView]:
    statement = (
        select(ApiToken, Actor.username, OAuthClient.name)
        .outerjoin(Actor, Actor.id == ApiToken.actor_id)
        .outerjoin(OAuthClient, OAuthClient.id == ApiToken.client_id)
        .order_by(ApiToken.id)
    )
    if token_id is not None:
        statement = statement.where(ApiToken.id == token_id)
    found = await session.execute(statement)
    return [_view(row, username, app) for row, username, app in found.all()]


def _view(row: ApiToken, username: str | None, app: str | None) -> TokenView:
    scopes = tuple(sorted((row.scopes or "").split()))
    return TokenView(row.id, row.scope, username or "", row.label, app or "", scopes,
                     row.created_at, row.last_used_at, row.expires_at)  # fmt: skip


async def revoke_any_token(session: AsyncSession, principal: Principal, token_id: int) -> TokenView:
    """Delete one token (it stops working at once); NotFound for an unknown id."""
    _admin_only(principal)
    views = await _views(session, token_id)
    row = await session.get(ApiToken, token_id)
    if not views or row is None:
        raise NotFound(f"no token with id {token_id}: `smartnode token list` shows them")
    await session.delete(row)
    await session.flush()
    return views[0]
