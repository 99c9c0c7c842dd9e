"""Bearer tokens and errors as Mastodon answers them, for the instance, preferences and markers
routes (and the app's verify_credentials): the principal comes from accounts/bearer.py, the
words from Mastodon (Doorkeeper), the error body is `{"error": words}` alone.

Interop: Mastodon answers 401 `The access token is invalid` for a missing, unknown, revoked or
expired token; 403 `This action is outside the authorized scopes`; 422 `This method requires an
authenticated user` for an app's own token (client credentials) where a member is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from smartnode.accounts.bearer import principal_for_token
from smartnode.accounts.principal import ANONYMOUS, Principal
from smartnode.errors import Forbidden, SmartnodeError, Unauthorized, ValidationFailed
from smartnode.storage.db import Database

INVALID_TOKEN = "The access token is invalid"  # noqa: S105 (words, not a secret)
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
NEEDS_USER = "This method requires an authenticated user"
CHALLENGE = 'Bearer realm="smartnode", error="invalid_token", error_description="' + (
    INVALID_TOKEN + '"'
)
CORS = {"Access-Control-Allow-Origin": "*"}


def mastodon_error(status_code: int, words: str) -> JSONResponse:
    """Mastodon's error body (401 with the Bearer challenge of RFC 6750)."""
    headers = dict(CORS)
    if status_code == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    return JSONResponse({"error": words}, status_code=status_code, headers=headers)


class MastodonRoute(APIRoute):
    """Our errors as Mastodon's: `{"error": words}` (401 always in Doorkeeper's words; 5xx
    left to the app's handler, which logs them)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized:
                return mastodon_error(401, INVALID_TOKEN)
            except SmartnodeError as exc:
                if exc.status_code >= 500:
                    raise
                return mastodon_error(exc.status_code, exc.message)

        return handle


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if not scheme:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(INVALID_TOKEN)
    return token.strip()


async def token_principal(request: Request) -> Principal:
    """Who the request's bearer token stands for (anonymous without one); Unauthorized for a
    token that is not valid. Its last use is committed here, in a session of its own."""
    token = _bearer(request)
    if token is None:
        return ANONYMOUS
    db: Database = request.app.state.db
    async with db.session() as session, session.begin():
        return await principal_for_token(session, token, None, datetime.now(UTC))


def member_scope(principal: Principal, scope: str) -> int:
    """The member a token acts for, when its grant covers `scope` (Mastodon's refusals)."""
    if principal.kind == "anonymous":
        raise Unauthorized(INVALID_TOKEN)
    if not principal.allows(scope):
        raise Forbidden(OUTSIDE_SCOPES)
    if principal.actor_id is None:
        raise ValidationFailed(NEEDS_USER)
    return principal.actor_id


def any_token(principal: Principal) -> Principal:
    """The caller of a route that needs a valid token of any kind (an app's own too)."""
    if principal.kind == "anonymous":
        raise Unauthorized(INVALID_TOKEN)
    return principal
