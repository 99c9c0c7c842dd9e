"""What a member granted apps: the list they see and revoke, and the app behind a token.

Only the member themselves (a session or their own member token) manages their grants; an app
never sees or revokes another app's access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.accounts.tokens import APP_SCOPE
from smartnode.errors import Forbidden, Unauthorized
from smartnode.storage.models_accounts import Account, ApiToken, OAuthClient, OAuthCode


@dataclass(frozen=True, slots=True)
class GrantedApp:
    """One app a member let act for them, over all its live tokens."""

    client_id: int  # the app's row id (the revoke form names it)
    name: str
    website: str | None
    scopes: tuple[str, ...]
    granted_at: datetime
    last_used_at: datetime | None


def _member_itself(principal: Principal) -> int:
    if principal.kind != "member" or principal.actor_id is None:
        raise Forbidden("only the member themselves manages the apps they granted")
    return principal.actor_id


def _merged(app: GrantedApp | None, token: ApiToken, client: OAuthClient) -> GrantedApp:
    scopes = tuple(dict.fromkeys((*(app.scopes if app else ()), *(token.scopes or "").split())))
    used = [t for t in (app.last_used_at if app else None, token.last_used_at) if t is not None]
    return GrantedApp(
        client_id=client.id,
        name=client.name,
        website=client.website,
        scopes=scopes,
        granted_at=min(app.granted_at, token.created_at) if app else token.created_at,
        last_used_at=max(used) if used else None,
    )


async def granted_apps(session: AsyncSession, principal: Principal) -> list[GrantedApp]:
    """The apps holding the member's tokens, the most recently granted first."""
    actor_id = _member_itself(principal)
    rows = await session.execute(
        select(ApiToken, OAuthClient)
        .join(OAuthClient, ApiToken.client_id == OAuthClient.id)
        .where(ApiToken.scope == APP_SCOPE, ApiToken.actor_id == actor_id)
        .order_by(ApiToken.created_at, ApiToken.id)
    )
    apps: dict[int, GrantedApp] = {}
    for token, client in rows:
        apps[client.id] = _merged(apps.get(client.id), token, client)
    return sorted(apps.values(), key=lambda app: app.granted_at, reverse=True)


async def revoke_app(session: AsyncSession, principal: Principal, client_id: int) -> int:
    """End an app's access for the member: every token and every unused code; how many
    tokens ended (0 when the app held none)."""
    actor_id = _member_itself(principal)
    result = await session.execute(
        delete(ApiToken).where(
            ApiToken.scope == APP_SCOPE,
            ApiToken.actor_id == actor_id,
            ApiToken.client_id == client_id,
        )
    )
    account_id = select(Account.id).where(Account.actor_id == actor_id).scalar_subquery()
    await session.execute(
        delete(OAuthCode).where(
            OAuthCode.client_id == client_id,
            OAuthCode.account_id == account_id,
            OAuthCode.used_at.is_(None),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def registered_app(session: AsyncSession, principal: Principal) -> OAuthClient:
    """The app a token was issued to (Mastodon's apps/verify_credentials)."""
    if principal.kind != "app" or principal.client_id is None:
        raise Forbidden("this token was not issued to an app")
    client = await session.get(OAuthClient, principal.client_id)
    if client is None:
        raise Unauthorized("the app of this token no longer exists")
    return client
