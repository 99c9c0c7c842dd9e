"""Where a member stopped reading, per timeline (Mastodon's markers), so that their apps agree:
one marker for `home`, one for `notifications`, each with the last read id, a version that
grows with each change, and when it changed.

Stored in the member's actor row (`remote_profile["markers"]`, a JSON column that is empty for
our own actors otherwise), read and written under a row lock so that two apps saving at once
both count, and written with a Core UPDATE that the search index does not watch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.errors import NotFound, ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.row_locks import for_update

TIMELINES = ("home", "notifications")
READ_SCOPE = "read:statuses"
WRITE_SCOPE = "write:statuses"
KEY = "markers"
#: Ids as the Mastodon API hands them out: short, URL-safe text.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Marker:
    """One timeline's marker."""

    timeline: str
    last_read_id: str
    version: int
    updated_at: datetime


def check_last_read_id(timeline: str, value: object) -> str:
    """The id sent for a timeline, or ValidationFailed naming the field."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationFailed(f"{timeline}[last_read_id] must be an id (1 to 64 letters, digits)")
    return value


async def _member(session: AsyncSession, actor_id: int, *, lock: bool) -> Actor:
    query = (
        select(Actor)
        .filter_by(id=actor_id, local=True, kind="member", deleted_at=None)
        .execution_options(populate_existing=True)
    )
    member = await (
        for_update(session, query, Actor.id, actor_id) if lock else session.scalar(query)
    )
    if member is None:
        raise NotFound("no such member")
    return member


def _stored(member: Actor) -> dict[str, dict[str, Any]]:
    markers = (member.remote_profile or {}).get(KEY)
    return markers if isinstance(markers, dict) else {}


def _marker(timeline: str, data: dict[str, Any]) -> Marker:
    return Marker(
        timeline=timeline,
        last_read_id=str(data["last_read_id"]),
        version=int(data["version"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
    )


async def read_markers(
    session: AsyncSession, principal: Principal, timelines: list[str]
) -> list[Marker]:
    """The member's markers of the named timelines that were ever saved (others ignored)."""
    member = await _member(session, principal.member_id(READ_SCOPE), lock=False)
    stored = _stored(member)
    wanted = [name for name in TIMELINES if name in timelines and name in stored]
    return [_marker(name, stored[name]) for name in wanted]


async def save_markers(
    session: AsyncSession, principal: Principal, last_read: dict[str, str], now: datetime
) -> list[Marker]:
    """Save the last read id of each named timeline; the version grows only when the id
    changes. The caller checked the ids (`check_last_read_id`)."""
    member = await _member(session, principal.member_id(WRITE_SCOPE), lock=True)
    stored = dict(_stored(member))
    saved = []
    for timeline in TIMELINES:
        if timeline not in last_read:
            continue
        before = stored.get(timeline)
        if before is None or before["last_read_id"] != last_read[timeline]:
            version = int(before["version"]) + 1 if before is not None else 0
            stored[timeline] = {
                "last_read_id": last_read[timeline],
                "version": version,
                "updated_at": now.isoformat(),
            }
        saved.append(_marker(timeline, stored[timeline]))
    profile = {**(member.remote_profile or {}), KEY: stored}
    # A Core UPDATE: where a member stopped reading changes nothing the search index shows.
    await session.execute(update(Actor).where(Actor.id == member.id).values(remote_profile=profile))
    return saved
