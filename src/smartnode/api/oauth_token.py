"""The token endpoint (RFC 6749 §3.2) and token revocation (RFC 7009), as Mastodon serves them
at /oauth/token and /oauth/revoke. Tokens travel only in these answers' bodies, never in a URL.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from smartnode.accounts.oauth_clients import authenticate_client
from smartnode.accounts.oauth_errors import OAuthError
from smartnode.accounts.oauth_tokens import IssuedToken, TokenRequest, grant, revoke
from smartnode.api.deps import SessionDep
from smartnode.api.oauth_body import (
    CORS,
    NO_STORE,
    body_params,
    client_credentials,
    oauth_refusal,
    single,
)
from smartnode.errors import BadRequest
from smartnode.federation.signer import utc_now

router = APIRouter(include_in_schema=False)


def token_answer(issued: IssuedToken) -> JSONResponse:
    """Mastodon's Token entity (with `refresh_token` when one was issued)."""
    body: dict[str, str | int] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": " ".join(issued.scopes),
        "created_at": int(issued.created_at.timestamp()),
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    return JSONResponse(body, headers={**NO_STORE, **CORS})


async def _token_request(request: Request) -> TokenRequest:
    params = await body_params(request)
    client_id, client_secret = client_credentials(request, params)
    return TokenRequest(
        grant_type=single(params, "grant_type"),
        client_id=client_id,
        client_secret=client_secret,
        code=single(params, "code"),
        redirect_uri=single(params, "redirect_uri"),
        code_verifier=single(params, "code_verifier"),
        refresh_token=single(params, "refresh_token"),
        scope=single(params, "scope"),
    )


@router.post("/oauth/token")
async def token(request: Request, session: SessionDep) -> JSONResponse:
    """Exchange a code, a refresh token or the app's own credentials for tokens."""
    try:
        token_request = await _token_request(request)
    except (OAuthError, BadRequest) as exc:
        return oauth_refusal(_as_oauth(exc))
    async with session.begin():  # committed even on refusal: a replayed code's tokens go
        outcome = await grant(session, token_request, utc_now())
    if isinstance(outcome, OAuthError):
        return oauth_refusal(outcome)
    return token_answer(outcome)


@router.post("/oauth/revoke")
async def revoke_token(request: Request, session: SessionDep) -> JSONResponse:
    """RFC 7009: revoke one of the app's tokens; 200 also for a token unknown here."""
    try:
        params = await body_params(request)
        client_id, client_secret = client_credentials(request, params)
        async with session.begin():
            client = await authenticate_client(session, client_id, client_secret)
            await revoke(session, client, single(params, "token"))
    except (OAuthError, BadRequest) as exc:
        return oauth_refusal(_as_oauth(exc))
    return JSONResponse({}, headers={**NO_STORE, **CORS})


def _as_oauth(exc: OAuthError | BadRequest) -> OAuthError:
    if isinstance(exc, OAuthError):
        return exc
    return OAuthError("invalid_request", exc.message)
