"""The node's identity: the handle domain and base URL its database was initialised with.

Every id the node mints carries them and ids never change, so a process started with other
values (a forgotten `SMARTNODE_DOMAIN`, a typo in `SMARTNODE_BASE_URL`) must not write
anything: it stops with one line naming both values and how to fix the environment.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import Settings
from smartnode.errors import ConfigError
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, NodeIdentity
from smartnode.storage.upsert import insert_ignoring_conflicts

_ROW = 1
_TABLE = cast(Table, NodeIdentity.__table__)


class IdentityMismatch(ConfigError):
    """The settings name another node than the one the database belongs to."""

    code = "identity_mismatch"


def _mismatch(what: str, recorded: str, configured: str) -> IdentityMismatch:
    return IdentityMismatch(
        f"this database belongs to the node with SMARTNODE_{what}={recorded}, but "
        f"SMARTNODE_{what}={configured} is set: ids never change, so set "
        f"SMARTNODE_{what}={recorded} (or point SMARTNODE_DATABASE_URL at this node's own database)"
    )


def _compare(domain: str, base_url: str, settings: Settings) -> None:
    if domain != settings.domain:
        raise _mismatch("DOMAIN", domain, settings.domain)
    if base_url != settings.base_url:
        raise _mismatch("BASE_URL", base_url, settings.base_url)


async def _check_node_actor(session: AsyncSession, settings: Settings) -> None:
    """A node actor made before the record existed must carry the configured base URL and host."""
    found = (
        await session.execute(
            select(Actor.uri, Actor.username).where(Actor.local.is_(True), Actor.kind == "node")
        )
    ).first()
    if found is None:
        return
    expected = NodeUris(base_url=settings.base_url, domain=settings.domain).node_actor
    if found.uri != expected:
        raise _mismatch("BASE_URL", found.uri.removesuffix("/actor"), settings.base_url)
    if found.username != settings.domain.split(":")[0]:
        raise _mismatch("DOMAIN", found.username, settings.domain)


async def check_node_identity(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """IdentityMismatch unless `settings` name the node this database belongs to.

    A database without the record (new, or made before it existed) takes the settings as its
    identity, unless its node actor already carries another base URL."""
    row = await session.get(NodeIdentity, _ROW)
    if row is not None:
        _compare(row.domain, row.base_url, settings)
        return
    await _check_node_actor(session, settings)
    record = {"id": _ROW, "domain": settings.domain, "base_url": settings.base_url}
    await insert_ignoring_conflicts(session, _TABLE, [{**record, "created_at": now}])
    row = await session.get(NodeIdentity, _ROW, populate_existing=True)
    if row is not None:  # another process may have recorded it first
        _compare(row.domain, row.base_url, settings)
