"""Authorization codes (RFC 6749 §4.1) with PKCE (RFC 7636, `S256` only).

A request is checked in the RFC's order: the app and its redirect URI first (a failure there is
never sent to the URI), then everything else (a failure is sent back to the registered URI).
A code is single use, lives ten minutes, and is bound to the app, the redirect URI, the member,
the scopes and the PKCE challenge. Only a SHA-256 of each code is stored.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.accounts import ACTIVE
from smartnode.accounts.oauth_clients import find_client, granted_scopes
from smartnode.accounts.oauth_errors import (
    INVALID_CLIENT,
    INVALID_GRANT,
    INVALID_REQUEST,
    UNSUPPORTED_RESPONSE_TYPE,
    OAuthError,
)
from smartnode.accounts.secrets import digest, new_secret, same
from smartnode.errors import Forbidden
from smartnode.storage.models_accounts import Account, OAuthClient, OAuthCode

CODE_LIFETIME = timedelta(minutes=10)
#: How long a code row outlives its expiry (a replay after that is merely unknown).
REPLAY_MEMORY = timedelta(days=1)
S256 = "S256"
#: RFC 7636 §4.1: 43 to 128 unreserved characters (a challenge has the same alphabet).
_PKCE_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
MAX_STATE = 1000


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked authorization request, ready for the member's consent."""

    client: OAuthClient
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None


def s256(verifier: str) -> str:
    """The S256 challenge of a PKCE verifier: BASE64URL(SHA-256(verifier)), unpadded."""
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).decode().rstrip("=")


def _redirect_uri_of(client: OAuthClient, redirect_uri: str | None) -> str:
    """The registered URI the request names, exactly; may be left out when only one is."""
    if not redirect_uri and len(client.redirect_uris) == 1:
        return client.redirect_uris[0]
    if redirect_uri not in client.redirect_uris:
        raise OAuthError(INVALID_REQUEST, "the redirect_uri is not one this app registered")
    return redirect_uri


def _challenge(
    client: OAuthClient, challenge: str | None, method: str | None, redirect_uri: str
) -> str | None:
    """The PKCE challenge: S256 only (`plain`, or a challenge without its method, refused);
    required when the app has no secret."""
    if challenge is None and method is None:
        if client.secret_hash is None:
            raise OAuthError(
                INVALID_REQUEST, "PKCE is required: send code_challenge with code_challenge_"
                "method=S256", redirect_uri=redirect_uri,
            )  # fmt: skip
        return None
    if method != S256:
        raise OAuthError(
            INVALID_REQUEST, "code_challenge_method must be S256 (plain is not accepted)",
            redirect_uri=redirect_uri,
        )  # fmt: skip
    if challenge is None or not _PKCE_VALUE.match(challenge):
        raise OAuthError(
            INVALID_REQUEST, "code_challenge must be 43 to 128 characters of base64url",
            redirect_uri=redirect_uri,
        )  # fmt: skip
    return challenge


async def check_authorization_request(
    session: AsyncSession,
    *,
    response_type: str | None,
    client_id: str | None,
    redirect_uri: str | None,
    scope: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> AuthorizationRequest:
    """The request checked; OAuthError otherwise (with `redirect_uri` set once it is safe to
    send the refusal there)."""
    client = await find_client(session, client_id)
    if client is None:
        raise OAuthError(INVALID_CLIENT, "this app is not registered on this node")
    target = _redirect_uri_of(client, redirect_uri)
    if response_type != "code":
        raise OAuthError(
            UNSUPPORTED_RESPONSE_TYPE, "response_type must be code", redirect_uri=target
        )
    if state is not None and len(state) > MAX_STATE:
        raise OAuthError(INVALID_REQUEST, "state is too long", redirect_uri=target)
    return AuthorizationRequest(
        client=client,
        redirect_uri=target,
        scopes=granted_scopes(client, scope, redirect_uri=target),
        state=state,
        code_challenge=_challenge(client, code_challenge, code_challenge_method, target),
    )


async def issue_code(
    session: AsyncSession, request: AuthorizationRequest, account: Account, now: datetime
) -> str:
    """A new code for the member's consent to `request`; the plaintext, handed out once."""
    if account.state != ACTIVE:
        raise Forbidden("this account cannot grant apps access")
    code = new_secret()
    session.add(
        OAuthCode(
            code_hash=digest(code),
            client_id=request.client.id,
            account_id=account.id,
            redirect_uri=request.redirect_uri,
            scopes=" ".join(request.scopes),
            code_challenge=request.code_challenge,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    await session.flush()
    return code


class CodeReplayed(OAuthError):
    """A code presented a second time (its tokens are to be revoked, RFC 6749 §4.1.2)."""

    def __init__(self, code_id: int) -> None:
        super().__init__(INVALID_GRANT, "this code was already used; its tokens are revoked")
        self.code_id = code_id


async def claim_code(session: AsyncSession, code: str | None, now: datetime) -> OAuthCode:
    """Spend a code: its row when it was unused (one conditional UPDATE, so two racing
    requests cannot both win); CodeReplayed when it was used, else `invalid_grant`."""
    if not code:
        raise OAuthError(INVALID_REQUEST, "code is required")
    claimed = await session.scalar(
        update(OAuthCode)
        .where(OAuthCode.code_hash == digest(code), OAuthCode.used_at.is_(None))
        .values(used_at=now)
        .returning(OAuthCode.id)
    )
    row = await session.scalar(
        select(OAuthCode)
        .where(OAuthCode.code_hash == digest(code))
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise OAuthError(INVALID_GRANT, "unknown code")
    if claimed is None:
        raise CodeReplayed(row.id)
    return row


def check_code(
    row: OAuthCode,
    client: OAuthClient,
    *,
    redirect_uri: str | None,
    code_verifier: str | None,
    now: datetime,
) -> None:
    """`invalid_grant` unless the claimed code was issued to this app, for this redirect URI,
    is still fresh, and the verifier matches its challenge (none may be sent without one)."""
    if row.client_id != client.id:
        raise OAuthError(INVALID_GRANT, "this code was issued to another app")
    if row.expires_at <= now:
        raise OAuthError(INVALID_GRANT, "this code has expired")
    if redirect_uri != row.redirect_uri and (redirect_uri or len(client.redirect_uris) > 1):
        raise OAuthError(INVALID_GRANT, "redirect_uri differs from the authorization request")
    if row.code_challenge is None:
        if code_verifier is not None:
            raise OAuthError(INVALID_GRANT, "code_verifier sent, but no code_challenge was")
        return
    if code_verifier is None or not _PKCE_VALUE.match(code_verifier):
        raise OAuthError(INVALID_GRANT, "code_verifier is missing or malformed")
    if not same(s256(code_verifier), row.code_challenge):
        raise OAuthError(INVALID_GRANT, "code_verifier does not match the code_challenge")


async def forget_old_codes(session: AsyncSession, now: datetime) -> int:
    """Delete codes expired a day ago or more (for a scheduled job); how many. A code is kept
    that long after it expires so that a late replay still finds it and revokes its tokens."""
    result = await session.execute(
        delete(OAuthCode).where(OAuthCode.expires_at <= now - REPLAY_MEMORY)
    )
    return int(getattr(result, "rowcount", 0) or 0)
