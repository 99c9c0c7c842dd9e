"""Who the `smartnode` command acts as, and the member, project, post and application commands
that go through the same use cases as the native API (so the same rules decide).

By default the command is the operator: an admin. `smartnode --as USERNAME …` acts for a
member as an admin token with `?as=` does; `smartnode --token TOKEN …` (or SMARTNODE_TOKEN)
acts as that API token's holder (admin, member or app) with exactly the API's rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.bearer import admin_acting_for, principal_for_token
from smartnode.accounts.principal import Principal
from smartnode.actors.records import node_uris
from smartnode.cli_support import database_session, now
from smartnode.config import Settings
from smartnode.federation.uris import NodeUris

#: Set by `smartnode --token`: act as this API token's holder instead of as the operator.
acting_token: ContextVar[str | None] = ContextVar("acting_token", default=None)
#: Set by `smartnode --as`: act for this member (as an admin token with `?as=`).
acting_for: ContextVar[str | None] = ContextVar("acting_for", default=None)


async def cli_principal(session: AsyncSession, moment: datetime) -> Principal:
    """The principal of this command: the `--token`'s holder, else the operator (an admin),
    acting for the `--as` member if one is named."""
    token, as_ = acting_token.get(), acting_for.get()
    if token:
        return await principal_for_token(session, token, as_, moment)
    return await admin_acting_for(session, as_)


@dataclass(frozen=True, slots=True)
class Acting:
    """One command's unit of work: its session (in a transaction), principal, URIs, time."""

    session: AsyncSession
    principal: Principal
    uris: NodeUris
    now: datetime


@asynccontextmanager
async def acting(settings: Settings) -> AsyncIterator[Acting]:
    """A transaction in which this command's principal acts (committed when the work ends)."""
    async with database_session(settings) as session, session.begin():
        moment = now()
        principal = await cli_principal(session, moment)
        yield Acting(session, principal, node_uris(settings), moment)
