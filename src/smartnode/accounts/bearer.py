"""Which principal a bearer token stands for: the one rule for the native API (per request)
and the CLI's `--token`.

An admin token acts as the node, or for a member named with `as_`; a member token only for
its own member (within its scopes when the member chose some); an app's token for the member
who granted it, within its scopes; an app's own token (client credentials) for no member.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts import principal as principals
from smartnode.accounts.accounts import local_member_named
from smartnode.accounts.oauth_tokens import CLIENT_SCOPE
from smartnode.accounts.principal import Principal
from smartnode.accounts.tokens import ADMIN_SCOPE, APP_SCOPE, MEMBER_SCOPE, check_token
from smartnode.errors import Forbidden
from smartnode.storage.models import Actor


async def principal_for_token(
    session: AsyncSession, token: str, as_: str | None, now: datetime
) -> Principal:
    """The principal of `token` (acting for `as_` when an admin token names one). The caller
    owns the transaction (the token's last use is noted in it)."""
    row = await check_token(session, token, now)
    scopes = frozenset((row.scopes or "").split())
    if row.scope == APP_SCOPE and row.actor_id is not None and row.client_id is not None:
        if as_ is not None:
            raise Forbidden("an app token acts only for the member who granted it")
        await _own_member(session, row.actor_id)
        return principals.app(row.actor_id, row.client_id, scopes)
    if row.scope == CLIENT_SCOPE and row.client_id is not None:
        if as_ is not None:
            raise Forbidden("an app's own token acts for no member")
        return Principal(kind="app", actor_id=None, scopes=scopes, client_id=row.client_id)
    if row.scope == MEMBER_SCOPE and row.actor_id is not None:
        member = await _own_member(session, row.actor_id)
        if as_ is not None and as_.lower() != member.username:
            raise Forbidden("a member token acts only for its own member")
        return principals.member(member.id, scopes or principals.ALL_SCOPES)
    if row.scope == ADMIN_SCOPE:
        return await admin_acting_for(session, as_)
    raise Forbidden("this token acts for nobody on this node")


async def admin_acting_for(session: AsyncSession, as_: str | None) -> Principal:
    """An admin alone, or acting for the live local member named `as_` (NotFound if none)."""
    if as_ is None:
        return principals.admin()
    return principals.admin((await local_member_named(session, as_)).id)


async def _own_member(session: AsyncSession, actor_id: int) -> Actor:
    member = await session.scalar(
        select(Actor).filter_by(id=actor_id, local=True, kind="member", deleted_at=None)
    )
    if member is None:
        raise Forbidden("the member of this token no longer exists")
    return member
