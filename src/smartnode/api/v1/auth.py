"""Bearer-token auth for the native API: `PrincipalDep` (a token is needed) and
`MaybePrincipalDep` (anonymous callers too) hand the route the caller's principal, by the
rules of accounts/bearer.py; the use case decides what that principal may do."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from smartnode.accounts import principal as principals
from smartnode.accounts.bearer import principal_for_token
from smartnode.accounts.principal import Principal
from smartnode.api.deps import SessionDep
from smartnode.errors import Unauthorized

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="smartnode"'}
#: Declared for OpenAPI (the "Authorize" button in /docs); the header is parsed by `bearer_token`.
BEARER = HTTPBearer(
    auto_error=False,
    description="A token from `smartnode token create` (admin) or "
    "`smartnode token create --member USERNAME` (member).",
)
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


ActingAs = Annotated[
    str | None,
    Query(
        alias="as",
        max_length=64,
        description="With an admin token: the username of the member to act for.",
    ),
]


async def optional_principal(
    request: Request, session: SessionDep, _: Declared, as_: ActingAs = None
) -> Principal:
    """Who calls: the holder of a bearer token (admin, member or app), else anonymous."""
    token = bearer_token(request)
    if token is None:
        return principals.ANONYMOUS
    async with session.begin():  # commits last_used_at; the route then opens its own transaction
        return await principal_for_token(session, token, as_, datetime.now(UTC))


async def require_principal(
    principal: Annotated[Principal, Depends(optional_principal)],
) -> Principal:
    """A caller with a valid token; Unauthorized for anonymous callers."""
    if principal.kind == "anonymous":
        raise Unauthorized("this needs a token: 'Authorization: Bearer <token>'")
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
MaybePrincipalDep = Annotated[Principal, Depends(optional_principal)]


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
