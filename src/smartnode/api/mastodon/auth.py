"""Who calls the Mastodon client API, and its errors in Mastodon's shape.

A bearer token (an app's OAuth token, a member's personal token, an admin token acting for no
member) is read by the rules of accounts/bearer.py. As Mastodon does: a token that is unknown
or revoked answers 401 `{"error": "The access token is invalid"}` wherever it is sent, even to
public routes; a token without the scope a route needs answers 403 `{"error": "This action is
outside the authorized scopes"}`; a token that acts for no member (an app's own token, an admin
token) answers 422 `{"error": "This method requires an authenticated user"}` where a member is
needed. Every error of a route of this package is `{"error": words}` (MastodonRoute).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from smartnode.accounts import principal as principals
from smartnode.accounts.bearer import principal_and_member
from smartnode.accounts.principal import Principal
from smartnode.actors.acting import acting_member
from smartnode.api.deps import SessionDep
from smartnode.api.mastodon.answer_cache import MEMBER_STATE
from smartnode.errors import Forbidden, SmartnodeError, Unauthorized
from smartnode.storage.models import Actor
from smartnode.validation_words import validation_message

INVALID_TOKEN = "The access token is invalid"  # noqa: S105  (words, not a secret)
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
NEEDS_USER = "This method requires an authenticated user"
HELD_MEMBER = "mastodon.member"
CHALLENGE = 'Bearer realm="Doorkeeper", error="invalid_token", error_description="{}"'


class OutsideScopes(Forbidden):
    """The token was not granted the scope this route needs."""

    def __init__(self) -> None:
        super().__init__(OUTSIDE_SCOPES)


class NeedsUser(SmartnodeError):
    """The token acts for no member, and this route acts for one."""

    status_code = 422
    code = "needs_user"

    def __init__(self) -> None:
        super().__init__(NEEDS_USER)


def error(words: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """Mastodon's error shape."""
    return JSONResponse({"error": words}, status_code=status, headers=headers)


def answer_error(exc: Exception) -> Response:
    """An error of a Mastodon route as Mastodon words it; others are raised again."""
    if isinstance(exc, Unauthorized):
        return error(INVALID_TOKEN, 401, {"WWW-Authenticate": CHALLENGE.format(INVALID_TOKEN)})
    if isinstance(exc, RequestValidationError):
        return error(f"Validation failed: {validation_message(exc.errors(), exc.body)}", 422)
    if isinstance(exc, SmartnodeError) and exc.status_code < 500:
        return error(exc.message, exc.status_code)
    raise exc


class MastodonRoute(APIRoute):
    """A route of the Mastodon client API: its errors answer `{"error": words}`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (SmartnodeError, RequestValidationError) as exc:
                return answer_error(exc)

        return handle


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(INVALID_TOKEN)
    return token.strip()


async def caller(request: Request, session: SessionDep) -> Principal:
    """The holder of the bearer token, or anonymous without one (401 for a bad token)."""
    token = _bearer(request)
    if token is None:
        return principals.ANONYMOUS
    try:
        async with session.begin():  # commits last_used_at; the route opens its own transaction
            principal, member = await principal_and_member(session, token, None, datetime.now(UTC))
    except Forbidden:  # a token of a member deleted since, or of nobody on this node
        raise Unauthorized(INVALID_TOKEN) from None
    # Held for the request: the session's identity map keeps only referenced rows, and
    # held, the member is read once (acting_member and maybe_member find it there).
    session.info[HELD_MEMBER] = member
    if member is not None:  # an answer to this token may be kept (answer_cache.py)
        setattr(request.state, MEMBER_STATE, member.id)
    return principal


Caller = Annotated[Principal, Depends(caller)]


def check_scope(principal: Principal, scope: str) -> None:
    """401 without a token; 403 when its grant does not cover `scope`."""
    if principal.kind == "anonymous":
        raise Unauthorized(INVALID_TOKEN)
    if not principal.allows(scope):
        raise OutsideScopes()


def readable(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A public route: anyone; a token given must be valid and cover `scope`."""

    async def dependency(principal: Caller) -> Principal:
        if principal.kind != "anonymous":
            check_scope(principal, scope)
        return principal

    return dependency


def scoped(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A route for a token covering `scope`."""

    async def dependency(principal: Caller) -> Principal:
        check_scope(principal, scope)
        return principal

    return dependency


def any_token(principal: Principal) -> Principal:
    """The caller of a route that needs a valid token of any kind (an app's own too)."""
    if principal.kind == "anonymous":
        raise Unauthorized(INVALID_TOKEN)
    return principal


def member_id(principal: Principal, scope: str) -> int:
    """The id of the member a token acts for, when its grant covers `scope`."""
    check_scope(principal, scope)
    if principal.actor_id is None:
        raise NeedsUser()
    return principal.actor_id


async def member_of(session: SessionDep, principal: Principal, scope: str) -> Actor:
    """The live local member a principal acts for (within `scope`)."""
    member_id(principal, scope)
    return await acting_member(session, principal, scope)
