"""OAuth 2 tokens: the token endpoint's grants and revocation (RFC 6749 §4.1.3, §4.4, §6;
RFC 7009).

An access token is an `ApiToken` of scope `app` acting for one member within its scopes;
an app's own token (client credentials) has scope `client` and acts for nobody. Access tokens
do not expire, as Mastodon's do not; a refresh token replaces both tokens of its grant at once
(rotation: the old pair stops working). Tokens issued from a code carry the code's id in their
label, so that a replayed code revokes them. Only SHA-256 digests are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.accounts import ACTIVE
from smartnode.accounts.oauth_clients import authenticate_client, granted_scopes
from smartnode.accounts.oauth_codes import CodeReplayed, check_code, claim_code
from smartnode.accounts.oauth_errors import (
    INVALID_GRANT,
    INVALID_REQUEST,
    INVALID_SCOPE,
    UNAUTHORIZED_CLIENT,
    UNSUPPORTED_GRANT_TYPE,
    OAuthError,
)
from smartnode.accounts.secrets import digest, new_secret
from smartnode.accounts.tokens import APP_SCOPE
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import Account, ApiToken, OAuthClient

#: An app's own token (client credentials grant): no member behind it.
CLIENT_SCOPE = "client"
CLIENT_LABEL = "oauth client"


def code_label(code_id: int) -> str:
    """The label of the tokens issued from a code (how a replay finds them)."""
    return f"oauth code {code_id}"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the token endpoint answers; the plaintexts are shown once."""

    access_token: str
    scopes: tuple[str, ...]
    created_at: datetime
    refresh_token: str | None = None


async def _active_member(session: AsyncSession, account: Account | None) -> int:
    """The actor id of an active account whose member still exists; `invalid_grant` else."""
    actor = await session.get(Actor, account.actor_id) if account is not None else None
    if account is None or account.state != ACTIVE or actor is None or actor.deleted_at:
        raise OAuthError(INVALID_GRANT, "the member of this grant cannot sign in")
    return actor.id


async def revoke_code_tokens(session: AsyncSession, code_id: int) -> int:
    """Revoke every token issued from a code (and refreshed since); how many."""
    result = await session.execute(delete(ApiToken).where(ApiToken.label == code_label(code_id)))
    return int(getattr(result, "rowcount", 0) or 0)


async def exchange_code(
    session: AsyncSession,
    client: OAuthClient,
    *,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
    now: datetime,
) -> IssuedToken:
    """Authorization code grant. A code presented twice is refused AND its tokens revoked;
    the caller commits even on refusal, so that the revocation and a spent code stay."""
    try:
        row = await claim_code(session, code, now)
    except CodeReplayed as replay:
        await revoke_code_tokens(session, replay.code_id)
        raise
    check_code(row, client, redirect_uri=redirect_uri, code_verifier=code_verifier, now=now)
    actor_id = await _active_member(session, await session.get(Account, row.account_id))
    access, refresh = new_secret(), new_secret()
    session.add(
        ApiToken(
            token_hash=digest(access),
            label=code_label(row.id),
            scope=APP_SCOPE,
            actor_id=actor_id,
            client_id=client.id,
            scopes=row.scopes,
            refresh_hash=digest(refresh),
            created_at=now,
        )
    )
    await session.flush()
    return IssuedToken(access, tuple(row.scopes.split()), now, refresh)


def _narrowed(granted: str, requested: str | None) -> str:
    """RFC 6749 §6: a refresh may ask for fewer scopes than granted, never more."""
    if not requested:
        return granted
    names = tuple(dict.fromkeys(requested.split()))
    if not set(names) <= set(granted.split()):
        raise OAuthError(INVALID_SCOPE, "a refresh cannot add scopes to the grant")
    return " ".join(names)


async def refresh_grant(
    session: AsyncSession,
    client: OAuthClient,
    *,
    refresh_token: str | None,
    scope: str | None,
    now: datetime,
) -> IssuedToken:
    """Refresh token grant: a new access and refresh token replace the grant's old pair."""
    if not refresh_token:
        raise OAuthError(INVALID_REQUEST, "refresh_token is required")
    row = await session.scalar(
        select(ApiToken).where(
            ApiToken.refresh_hash == digest(refresh_token), ApiToken.scope == APP_SCOPE
        )
    )
    if row is None or row.client_id != client.id or row.actor_id is None:
        raise OAuthError(INVALID_GRANT, "unknown or revoked refresh token")
    await _active_member(
        session, await session.scalar(select(Account).where(Account.actor_id == row.actor_id))
    )
    scopes = _narrowed(row.scopes or "", scope)
    access, refresh = new_secret(), new_secret()
    swapped = await session.scalar(
        update(ApiToken)
        .where(ApiToken.id == row.id, ApiToken.refresh_hash == digest(refresh_token))
        .values(token_hash=digest(access), refresh_hash=digest(refresh), scopes=scopes,
                last_used_at=now)
        .returning(ApiToken.id)
    )  # fmt: skip
    if swapped is None:  # another request rotated it first
        raise OAuthError(INVALID_GRANT, "unknown or revoked refresh token")
    return IssuedToken(access, tuple(scopes.split()), now, refresh)


async def client_grant(
    session: AsyncSession, client: OAuthClient, *, scope: str | None, now: datetime
) -> IssuedToken:
    """Client credentials grant: the app's own token, acting for no member. Only an app with
    a secret may have one (a public client proves nothing by its id)."""
    if client.secret_hash is None:
        raise OAuthError(UNAUTHORIZED_CLIENT, "an app without a secret cannot use this grant")
    scopes = granted_scopes(client, scope)
    access = new_secret()
    session.add(
        ApiToken(
            token_hash=digest(access),
            label=CLIENT_LABEL,
            scope=CLIENT_SCOPE,
            actor_id=None,
            client_id=client.id,
            scopes=" ".join(scopes),
            created_at=now,
        )
    )
    await session.flush()
    return IssuedToken(access, scopes, now)


async def revoke(session: AsyncSession, client: OAuthClient, token: str | None) -> None:
    """RFC 7009: revoke an access or refresh token of this app (the whole grant). A token that
    is unknown, or another app's, is left alone without a word (no oracle)."""
    if not token:
        raise OAuthError(INVALID_REQUEST, "token is required")
    hashed = digest(token)
    await session.execute(
        delete(ApiToken).where(
            or_(ApiToken.token_hash == hashed, ApiToken.refresh_hash == hashed),
            ApiToken.scope.in_((APP_SCOPE, CLIENT_SCOPE)),
            ApiToken.client_id == client.id,
        )
    )


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """The token endpoint's parameters (RFC 6749 §4.1.3, §4.4.2, §6)."""

    grant_type: str | None
    client_id: str | None
    client_secret: str | None
    code: str | None = None
    redirect_uri: str | None = None
    code_verifier: str | None = None
    refresh_token: str | None = None
    scope: str | None = None


async def grant(
    session: AsyncSession, request: TokenRequest, now: datetime
) -> IssuedToken | OAuthError:
    """The token endpoint: authenticate the app, then run its grant. A refusal is returned,
    not raised, so that the caller commits what it wrote (a spent code, revoked tokens)."""
    try:
        client = await authenticate_client(session, request.client_id, request.client_secret)
        if request.grant_type == "authorization_code":
            return await exchange_code(
                session, client, code=request.code, redirect_uri=request.redirect_uri,
                code_verifier=request.code_verifier, now=now,
            )  # fmt: skip
        if request.grant_type == "refresh_token":
            return await refresh_grant(
                session, client, refresh_token=request.refresh_token, scope=request.scope, now=now
            )
        if request.grant_type == "client_credentials":
            return await client_grant(session, client, scope=request.scope, now=now)
        if not request.grant_type:
            raise OAuthError(INVALID_REQUEST, "grant_type is required")
        raise OAuthError(
            UNSUPPORTED_GRANT_TYPE,
            "grant_type must be authorization_code, refresh_token or client_credentials",
        )
    except OAuthError as refusal:
        return refusal
