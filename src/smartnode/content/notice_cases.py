"""A member's notifications as the native API and the apps read them: each use case takes the
acting principal. Reading needs `read:notifications`, marking read `write:notifications`;
nobody sees another member's notifications, and none are read from those the member blocks or
mutes with notifications (content/notice_senders.py). Services never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_NOTIFICATIONS, WRITE_NOTIFICATIONS, acting_member
from smartnode.actors.handles import handles_by_uri
from smartnode.content.notice_senders import heard_by
from smartnode.errors import NotFound
from smartnode.matching.candidates import labels_for
from smartnode.matching.explain import Labels, uris_of, viewer_language
from smartnode.storage.models_work import Notification


@dataclass(frozen=True, slots=True)
class Notices:
    """Notifications with what rendering them needs: the language of explanations, the
    labels of the skills they name and the handles of the actors they name."""

    rows: list[Notification]
    language: str
    labels: Labels
    handles: dict[str, str]


def named(data: dict[str, Any]) -> set[str]:
    """The strings a notification's data holds (actor ids among them)."""
    return {value for value in data.values() if isinstance(value, str)}


async def _notices(
    session: AsyncSession, rows: list[Notification], language: str, domain: str
) -> Notices:
    uris = set().union(*(uris_of(r.data.get("parts") or []) for r in rows)) if rows else set()
    labels = await labels_for(session, uris, language)
    handles = await handles_by_uri(session, (s for r in rows for s in named(r.data)), domain)
    return Notices(rows, language, labels, handles)


async def my_notifications(
    session: AsyncSession, principal: Principal, domain: str, *, unread: bool,
    lang: str | None, limit: int, before_id: int | None, now: datetime | None = None,
) -> Notices:  # fmt: skip
    """The acting member's notifications, newest first (`unread`: not read yet), but those
    from anyone they block or mute with notifications (at `now`)."""
    member = await acting_member(session, principal, READ_NOTIFICATIONS)
    query = select(Notification).where(
        Notification.actor_id == member.id, heard_by(member.id, now or datetime.now(UTC))
    )
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = list(await session.scalars(query.order_by(Notification.id.desc()).limit(limit)))
    return await _notices(session, rows, viewer_language(lang or member.language), domain)


async def mark_read(
    session: AsyncSession, principal: Principal, domain: str, notification_id: int,
    lang: str | None, now: datetime,
) -> Notices:  # fmt: skip
    """Mark one of the acting member's notifications read (the first time is kept)."""
    member = await acting_member(session, principal, WRITE_NOTIFICATIONS)
    row = await session.get(Notification, notification_id)
    if row is None or row.actor_id != member.id:
        raise NotFound("no such notification of yours")
    if row.read_at is None:
        row.read_at = now
    return await _notices(session, [row], viewer_language(lang or member.language), domain)


async def mark_all_read(session: AsyncSession, principal: Principal, now: datetime) -> int:
    """Mark every unread notification of the acting member read; how many were."""
    member = await acting_member(session, principal, WRITE_NOTIFICATIONS)
    result = await session.execute(
        update(Notification)
        .where(Notification.actor_id == member.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def unread_count(
    session: AsyncSession, principal: Principal, now: datetime | None = None
) -> int:
    """How many of the acting member's notifications are not read yet, but those from anyone
    they block or mute with notifications (at `now`)."""
    member = await acting_member(session, principal, READ_NOTIFICATIONS)
    query = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.actor_id == member.id, Notification.read_at.is_(None),
               heard_by(member.id, now or datetime.now(UTC)))
    )  # fmt: skip
    return int(await session.scalar(query) or 0)
