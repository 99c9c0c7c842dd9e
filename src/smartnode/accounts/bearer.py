"""Which principal a bearer token stands for: the one rule for the native API (per request)
and the CLI's `--token`.

An admin token acts as the node, or for a member named with `as_`; a member token only for
its own member (within its scopes when the member chose some); an app's token for the member
who granted it, within its scopes; an app's own token (client credentials) for no member.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts import principal as principals
from smartnode.accounts.accounts import local_member_named
from smartnode.accounts.oauth_tokens import CLIENT_SCOPE
from smartnode.accounts.principal import Principal
from smartnode.accounts.tokens import (
    ADMIN_SCOPE,
    APP_SCOPE,
    MEMBER_SCOPE,
    check_token_and_member,
)
from smartnode.errors import Forbidden
from smartnode.storage.models import Actor


async def principal_for_token(
    session: AsyncSession, token: str, as_: str | None, now: datetime
) -> Principal:
    """The principal of `token` (acting for `as_` when an admin token names one). The caller
    owns the transaction (the token's last use is noted in it)."""
    return (await principal_and_member(session, token, as_, now))[0]


async def principal_and_member(
    session: AsyncSession, token: str, as_: str | None, now: datetime
) -> tuple[Principal, Actor | None]:
    """principal_for_token, with the member it acts for as read with the token (one
    statement; None for an admin or an app's own token)."""
    row, member = await check_token_and_member(session, token, now)
    scopes = frozenset((row.scopes or "").split())
    if row.scope == APP_SCOPE and row.actor_id is not None and row.client_id is not None:
        if as_ is not None:
            raise Forbidden("an app token acts only for the member who granted it")
        return principals.app(_own(member).id, row.client_id, scopes), member
    if row.scope == CLIENT_SCOPE and row.client_id is not None:
        if as_ is not None:
            raise Forbidden("an app's own token acts for no member")
        return Principal(kind="app", actor_id=None, scopes=scopes, client_id=row.client_id), None
    if row.scope == MEMBER_SCOPE and row.actor_id is not None:
        own = _own(member)
        if as_ is not None and as_.lower() != own.username:
            raise Forbidden("a member token acts only for its own member")
        return principals.member(own.id, scopes or principals.ALL_SCOPES), own
    if row.scope == ADMIN_SCOPE:
        return await admin_acting_for(session, as_), None
    raise Forbidden("this token acts for nobody on this node")


async def admin_acting_for(session: AsyncSession, as_: str | None) -> Principal:
    """An admin alone, or acting for the live local member named `as_` (NotFound if none)."""
    if as_ is None:
        return principals.admin()
    return principals.admin((await local_member_named(session, as_)).id)


def _own(member: Actor | None) -> Actor:
    if member is None:
        raise Forbidden("the member of this token no longer exists")
    return member
