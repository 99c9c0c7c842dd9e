"""A member mutes and unmutes accounts, and lists them. Services never commit.

As Mastodon's MuteService: a mute is the member's own (nothing is sent); it hides the
account's statuses from the member's timelines and, with `notifications` (the default), its
notifications too; `duration` seconds after it was made it stops applying (0: for good).
Muting again replaces the mute's terms. Muting needs `write:mutes`, listing `read:mutes`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.account_views import account_by_id
from smartnode.actors.acting import READ_MUTES, WRITE_MUTES, acting_member
from smartnode.actors.hiding import in_force
from smartnode.errors import ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.models_blocks import AccountMute
from smartnode.storage.windows import IdWindow, newest_first, windowed

#: Longer than any mute needs (about 100 years); more is refused rather than overflowing.
LONGEST = 100 * 365 * 24 * 3600


async def _target(session: AsyncSession, member: Actor, target_id: int) -> Actor:
    target = await account_by_id(session, target_id)
    if target.id == member.id:
        raise ValidationFailed("Validation failed: you cannot do this to yourself")
    return target


async def _row(session: AsyncSession, member_id: int, target_id: int) -> AccountMute | None:
    return await session.scalar(
        select(AccountMute).where(
            AccountMute.actor_id == member_id, AccountMute.target_id == target_id
        )
    )


async def mute_as(
    session: AsyncSession, principal: Principal, target_id: int, *, notifications: bool,
    duration: int, now: datetime,
) -> tuple[Actor, Actor]:  # fmt: skip
    """The acting member mutes an account for `duration` seconds (0: for good); (member,
    account)."""
    if not 0 <= duration <= LONGEST:
        raise ValidationFailed(f"Validation failed: duration must be 0 to {LONGEST} seconds")
    member = await acting_member(session, principal, WRITE_MUTES)
    target = await _target(session, member, target_id)
    expires_at = now + timedelta(seconds=duration) if duration else None
    row = await _row(session, member.id, target.id)
    if row is None:
        row = AccountMute(actor_id=member.id, target_id=target.id, created_at=now)
        session.add(row)
    row.notifications, row.expires_at = notifications, expires_at
    await session.flush()
    return member, target


async def unmute_as(
    session: AsyncSession, principal: Principal, target_id: int
) -> tuple[Actor, Actor]:
    """The acting member unmutes an account (nothing when not muted); (member, account)."""
    member = await acting_member(session, principal, WRITE_MUTES)
    target = await _target(session, member, target_id)
    row = await _row(session, member.id, target.id)
    if row is not None:
        await session.delete(row)
        await session.flush()
    return member, target


async def muted_window(
    session: AsyncSession, principal: Principal, window: IdWindow, now: datetime
) -> list[tuple[int, Actor, AccountMute]]:
    """(mute id, account, mute) of the acting member's mutes still in force, in a window of
    mute ids, newest first."""
    member = await acting_member(session, principal, READ_MUTES)
    query = (
        select(AccountMute.id, Actor, AccountMute)
        .join(Actor, Actor.id == AccountMute.target_id)
        .where(AccountMute.actor_id == member.id, Actor.deleted_at.is_(None),
               in_force(now))
    )  # fmt: skip
    rows = (await session.execute(windowed(query, AccountMute.id, window))).all()
    return newest_first([(mute_id, actor, mute) for mute_id, actor, mute in rows], window)
