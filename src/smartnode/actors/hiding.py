"""Who a member does not hear from: the accounts they block, those that block them, and those
they mute (while the mute lasts). Queries only; the use cases are in account_blocks.py and
mutes.py.

As Mastodon: statuses of all three are left out of the member's timelines; notifications are
left out for accounts the member blocks, and for those they mute with `notifications`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.storage.models_blocks import AccountBlock, AccountMute


def in_force(now: datetime) -> ColumnElement[bool]:
    """A mute that has not expired at `now`."""
    return or_(AccountMute.expires_at.is_(None), AccountMute.expires_at > now)


def _muting(member_id: int, now: datetime) -> Select[int]:
    return select(AccountMute.target_id).where(AccountMute.actor_id == member_id, in_force(now))


def hidden_authors(member_id: int, now: datetime) -> Select[int]:
    """Ids of the actors whose statuses the member does not see (blocked either way, or
    muted), as a subquery."""
    return select(
        union(
            select(AccountBlock.target_id).where(AccountBlock.actor_id == member_id),
            select(AccountBlock.actor_id).where(AccountBlock.target_id == member_id),
            _muting(member_id, now),
        ).subquery()
    )


def hidden_senders(member_id: int, now: datetime) -> Select[int]:
    """Ids of the actors whose notifications the member does not get: those they block, and
    those they mute with notifications."""
    return select(
        union(
            select(AccountBlock.target_id).where(AccountBlock.actor_id == member_id),
            _muting(member_id, now).where(AccountMute.notifications.is_(True)),
        ).subquery()
    )


async def hidden_ids(session: AsyncSession, member_id: int, now: datetime) -> set[int]:
    """`hidden_authors` as a set, for filtering in Python."""
    return set((await session.scalars(hidden_authors(member_id, now))).all())


async def blocked_either_way(session: AsyncSession, one_id: int, other_id: int) -> bool:
    """Whether one of the two actors blocks the other."""
    found = await session.scalar(
        select(AccountBlock.id)
        .where(
            or_(
                and_(AccountBlock.actor_id == one_id, AccountBlock.target_id == other_id),
                and_(AccountBlock.actor_id == other_id, AccountBlock.target_id == one_id),
            )
        )
        .limit(1)
    )
    return found is not None


#: Built once (the inbox asks for every Follow); built per call it cost more than it ran.
_BLOCKS = select(AccountBlock.id).where(
    AccountBlock.actor_id == bindparam("actor_id"), AccountBlock.target_id == bindparam("target_id")
)


async def blocks(session: AsyncSession, actor_id: int, target_id: int) -> bool:
    """Whether `actor_id` blocks `target_id`."""
    found = await session.scalar(_BLOCKS, {"actor_id": actor_id, "target_id": target_id})
    return found is not None


@dataclass(frozen=True, slots=True)
class Standing:
    """How a member and an account stand as to blocks and mutes."""

    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False


async def standings(
    session: AsyncSession, member_id: int, ids: Sequence[int], now: datetime
) -> dict[int, Standing]:
    """The member's blocks and mutes (in force) of each account, and the accounts' blocks of
    the member, in three queries."""
    blocking = set((await session.scalars(
        select(AccountBlock.target_id).where(AccountBlock.actor_id == member_id,
                                             AccountBlock.target_id.in_(ids))
    )).all())  # fmt: skip
    blocked_by = set((await session.scalars(
        select(AccountBlock.actor_id).where(AccountBlock.target_id == member_id,
                                            AccountBlock.actor_id.in_(ids))
    )).all())  # fmt: skip
    muting = dict((await session.execute(
        select(AccountMute.target_id, AccountMute.notifications)
        .where(AccountMute.actor_id == member_id, AccountMute.target_id.in_(ids),
               in_force(now))
    )).all())  # fmt: skip
    return {
        i: Standing(i in blocking, i in blocked_by, i in muting, bool(muting.get(i, False)))
        for i in ids
    }
