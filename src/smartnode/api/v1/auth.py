"""Bearer-token auth for the native API: `AdminDep` for writes, `MaybeAdminDep` for reads,
`MemberDep` for what a member does as themselves (a member token, or an admin token with
`?as=username`)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts import principal as principals
from smartnode.accounts.oauth_tokens import CLIENT_SCOPE
from smartnode.accounts.principal import Principal
from smartnode.api.deps import SessionDep
from smartnode.api.tokens import ADMIN_SCOPE, APP_SCOPE, MEMBER_SCOPE, check_token
from smartnode.errors import Forbidden, NotFound, Unauthorized
from smartnode.storage.models import Actor, ApiToken

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


ActingAs = Annotated[
    str | None,
    Query(
        alias="as",
        max_length=64,
        description="With an admin token: the username of the member to act for.",
    ),
]


async def _live_member(session: SessionDep, **where: Any) -> Actor | None:
    return await session.scalar(
        select(Actor).filter_by(local=True, kind="member", deleted_at=None, **where)
    )


async def _acting_member(session: SessionDep, row: ApiToken, as_: str | None) -> Actor:
    """The member a token acts for: a member token's own, or an admin token's `?as=`."""
    if row.scope == MEMBER_SCOPE and row.actor_id is not None:
        member = await _live_member(session, id=row.actor_id)
        if member is None:
            raise Forbidden("the member of this token no longer exists")
        if as_ is not None and as_.lower() != member.username:
            raise Forbidden("a member token acts only for its own member")
        return member
    if row.scope != ADMIN_SCOPE:
        raise Forbidden("this token may not act for a member")
    if as_ is None:
        raise Forbidden("an admin token acts for a member only with '?as=<username>'")
    member = await _live_member(session, username=as_.lower())
    if member is None:
        raise NotFound(f"no member named {as_!r} on this node")
    return member


async def require_member(
    request: Request, session: SessionDep, _: Declared, as_: ActingAs = None
) -> Actor:
    """The live member the caller acts as; Unauthorized without a valid token."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("this needs a member token: 'Authorization: Bearer <token>'")
    async with session.begin():  # commits last_used_at; the route then opens its own transaction
        row = await check_token(session, token, datetime.now(UTC))
        return await _acting_member(session, row, as_)


def _principal_of(row: ApiToken, acting: Actor | None) -> Principal:
    scopes = frozenset((row.scopes or "").split())
    if row.scope == APP_SCOPE and row.actor_id is not None and row.client_id is not None:
        return principals.app(row.actor_id, row.client_id, scopes)
    if row.scope == CLIENT_SCOPE and row.client_id is not None:  # an app's own token
        return Principal(kind="app", actor_id=None, scopes=scopes, client_id=row.client_id)
    if row.scope == MEMBER_SCOPE and row.actor_id is not None:
        return principals.member(row.actor_id)
    if row.scope == ADMIN_SCOPE:
        return principals.admin(acting.id if acting is not None else None)
    raise Forbidden("this token acts for nobody on this node")


async def optional_principal(
    request: Request, session: SessionDep, _: Declared, as_: ActingAs = None
) -> Principal:
    """Who calls: the holder of a bearer token (admin, member or app), else anonymous.

    An admin token acts for a member with `?as=`; a member or app token only for its own."""
    token = bearer_token(request)
    if token is None:
        return principals.ANONYMOUS
    async with session.begin():  # commits last_used_at; the route then opens its own transaction
        row = await check_token(session, token, datetime.now(UTC))
        if row.scope == APP_SCOPE:
            if as_ is not None:
                raise Forbidden("an app token acts only for the member who granted it")
            if row.actor_id is None or await _live_member(session, id=row.actor_id) is None:
                raise Forbidden("the member of this token no longer exists")
            return _principal_of(row, None)
        if row.scope == CLIENT_SCOPE:
            if as_ is not None:
                raise Forbidden("an app's own token acts for no member")
            return _principal_of(row, None)
        if row.scope == ADMIN_SCOPE and as_ is None:
            return principals.admin()
        return _principal_of(row, await _acting_member(session, row, as_))


async def principal_for_token(
    session: AsyncSession, token: str, as_: str | None, now: datetime
) -> Principal:
    """The principal a bearer token stands for, by the rules `optional_principal` applies to a
    request, for callers that hold a token without a request (the CLI's `--token`). The
    caller owns the transaction (the token's last use is noted in it)."""
    row = await check_token(session, token, now)
    if row.scope == APP_SCOPE:
        if as_ is not None:
            raise Forbidden("an app token acts only for the member who granted it")
        if row.actor_id is None or await _live_member(session, id=row.actor_id) is None:
            raise Forbidden("the member of this token no longer exists")
        return _principal_of(row, None)
    if row.scope == CLIENT_SCOPE:
        if as_ is not None:
            raise Forbidden("an app's own token acts for no member")
        return _principal_of(row, None)
    if row.scope == ADMIN_SCOPE and as_ is None:
        return principals.admin()
    return _principal_of(row, await _acting_member(session, row, as_))


async def require_principal(
    principal: Annotated[Principal, Depends(optional_principal)],
) -> Principal:
    """A caller with a valid token; Unauthorized for anonymous callers."""
    if principal.kind == "anonymous":
        raise Unauthorized("this needs a token: 'Authorization: Bearer <token>'")
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
MaybePrincipalDep = Annotated[Principal, Depends(optional_principal)]
AdminDep = Annotated[ApiToken, Depends(require_admin)]
MemberDep = Annotated[Actor, Depends(require_member)]
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
