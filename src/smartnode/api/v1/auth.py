"""Bearer-token auth for the native API: `AdminDep` for writes, `MaybeAdminDep` for reads."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from smartnode.api.deps import SessionDep
from smartnode.api.tokens import ADMIN_SCOPE, check_token
from smartnode.errors import Forbidden, Unauthorized
from smartnode.storage.models import ApiToken

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="smartnode"'}
#: Declared for OpenAPI (the "Authorize" button in /docs); the header is parsed by `bearer_token`.
BEARER = HTTPBearer(auto_error=False, description="An admin token from `smartnode token create`.")
Declared = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header; None when there is no header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the admin token as 'Authorization: Bearer <token>'")
    return token.strip()


async def _admin_from(request: Request, session: SessionDep) -> ApiToken | None:
    token = bearer_token(request)
    if token is None:
        return None
    async with session.begin():  # commits last_used_at; the route then opens its own transaction
        row = await check_token(session, token, datetime.now(UTC))
    if row.scope != ADMIN_SCOPE:
        raise Forbidden("this token may not change the node")
    return row


async def require_admin(request: Request, session: SessionDep, _: Declared) -> ApiToken:
    """The caller's admin token; Unauthorized when missing or invalid."""
    row = await _admin_from(request, session)
    if row is None:
        raise Unauthorized("this needs an admin token: 'Authorization: Bearer <token>'")
    return row


async def optional_admin(request: Request, session: SessionDep, _: Declared) -> ApiToken | None:
    """The caller's admin token, None for anonymous callers; a bad token is still refused."""
    return await _admin_from(request, session)


AdminDep = Annotated[ApiToken, Depends(require_admin)]
MaybeAdminDep = Annotated[ApiToken | None, Depends(optional_admin)]


class ChallengeRoute(APIRoute):
    """Adds `WWW-Authenticate: Bearer` to 401 answers (RFC 6750), body as every other error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized as exc:
                return JSONResponse(
                    {"error": exc.message, "code": exc.code}, status_code=401, headers=CHALLENGE
                )

        return handle
