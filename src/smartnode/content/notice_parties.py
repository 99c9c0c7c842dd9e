"""A member's notifications as Mastodon apps read them: a keyset window of them, and for each
who it comes from (an actor) and the status it is about (a call, an event, or the direct
message the project sent about the application), when the member may read it. Removing them
is Mastodon's dismiss (one) and clear (all of the member's). Services never commit.

Same rules as notice_cases.py: reading needs `read:notifications`, removing
`write:notifications`; nobody reaches another member's notifications.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts import markers
from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_NOTIFICATIONS, WRITE_NOTIFICATIONS, acting_member
from smartnode.content.inputs import Visibility
from smartnode.content.notice_senders import DECISION, about_uri, heard_by, sender_uri
from smartnode.content.threads import Item, Reader
from smartnode.errors import NotFound
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application, Notification
from smartnode.storage.windows import IdWindow, windowed

#: Rows read per window when notifications are filtered further by the caller.
SCAN = 200


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification with its sender and its status (`direct`: the project's direct
    message to the member, rather than the call or event it is about)."""

    row: Notification
    account: Actor | None
    status: Item | None
    direct: bool = False


async def _statuses(session: AsyncSession, uris: set[str]) -> dict[str, Item]:
    if not uris:
        return {}
    rows = await session.execute(
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.uri.in_(uris), ContentObject.deleted_at.is_(None),
               Actor.deleted_at.is_(None))
    )  # fmt: skip
    return {obj.uri: (obj, author) for obj, author in rows.all()}


async def _direct_messages(session: AsyncSession, apps: set[str]) -> dict[str, Item]:
    """The direct messages that told a decision on an application (by the application's
    URI): the project's Note the application keeps as its `decision_uri`."""
    if not apps:
        return {}
    rows = await session.execute(
        select(Application.uri, ContentObject, Actor)
        .join(ContentObject, ContentObject.uri == Application.decision_uri)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(Application.uri.in_(apps),
               ContentObject.visibility == Visibility.DIRECT.value,
               ContentObject.deleted_at.is_(None), Actor.deleted_at.is_(None))
    )  # fmt: skip
    return {uri: (obj, author) for uri, obj, author in rows.all()}


async def _actors(session: AsyncSession, uris: set[str]) -> dict[str, Actor]:
    if not uris:
        return {}
    rows = await session.scalars(
        select(Actor).where(Actor.uri.in_(uris), Actor.deleted_at.is_(None))
    )
    return {actor.uri: actor for actor in rows}


async def notices_of(
    session: AsyncSession, member: Actor, rows: Sequence[Notification]
) -> list[Notice]:
    """Each row with its sender and the status it is about, as far as the member may read."""
    reader = Reader(member)
    statuses = await _statuses(session, {u for r in rows if (u := about_uri(r))})
    senders = await _actors(session, {u for r in rows if (u := sender_uri(r))})
    direct = await _direct_messages(session, {r.object_uri for r in rows if r.kind == DECISION})
    found: list[Notice] = []
    for row in rows:
        status, is_direct = statuses.get(about_uri(row) or ""), False
        message = direct.get(row.object_uri)
        if message is not None and await reader.may_read(session, *message):
            status, is_direct = message, True
        elif status is not None and not await reader.may_read(session, *status):
            status = None
        sender = senders.get(sender_uri(row) or "")
        if sender is None and status is not None:
            sender = status[1]
        found.append(Notice(row, sender, status, is_direct))
    return found


async def audible(
    session: AsyncSession, member: Actor, notices: Sequence[Notice], now: datetime
) -> list[Notice]:
    """The notices the member hears from (content/notice_senders.py's rule at `now`)."""
    if not notices:
        return []
    heard = set(await session.scalars(
        select(Notification.id).where(Notification.id.in_([n.row.id for n in notices]),
                                      heard_by(member.id, now))
    ))  # fmt: skip
    return [n for n in notices if n.row.id in heard]


async def notices_window(
    session: AsyncSession, principal: Principal, window: IdWindow, kinds: Collection[str],
    now: datetime | None = None,
) -> list[Notice]:  # fmt: skip
    """The window's notifications of the acting member of the given kinds (up to SCAN rows,
    for the caller to filter and cut), in the window's order; none from those the member
    blocks or mutes with notifications."""
    member = await acting_member(session, principal, READ_NOTIFICATIONS)
    query = select(Notification).where(
        Notification.actor_id == member.id,
        Notification.kind.in_(kinds),
        heard_by(member.id, now or datetime.now(UTC)),
    )
    rows = list(await session.scalars(windowed(query, Notification.id, window, scan=SCAN)))
    return await notices_of(session, member, rows)


async def notice_by_id(session: AsyncSession, principal: Principal, notice_id: int) -> Notice:
    """One of the acting member's notifications (NotFound for any other)."""
    member = await acting_member(session, principal, READ_NOTIFICATIONS)
    row = await session.get(Notification, notice_id)
    if row is None or row.actor_id != member.id:
        raise NotFound("Record not found")
    return (await notices_of(session, member, [row]))[0]


async def dismiss(session: AsyncSession, principal: Principal, notice_id: int) -> None:
    """Remove one of the acting member's notifications (NotFound for any other)."""
    member = await acting_member(session, principal, WRITE_NOTIFICATIONS)
    result = await session.execute(
        delete(Notification).where(Notification.id == notice_id, Notification.actor_id == member.id)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound("Record not found")


async def clear(session: AsyncSession, principal: Principal) -> int:
    """Remove every notification of the acting member; how many there were."""
    member = await acting_member(session, principal, WRITE_NOTIFICATIONS)
    result = await session.execute(delete(Notification).where(Notification.actor_id == member.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _last_read(member: Actor) -> int:
    """The id of the notifications marker the member's apps saved (0 when none is a number)."""
    stored = (member.remote_profile or {}).get(markers.KEY)
    marker = stored.get("notifications") if isinstance(stored, dict) else None
    value = str(marker.get("last_read_id", "")) if isinstance(marker, dict) else ""
    return int(value) if value.isdigit() and len(value) <= 18 else 0


async def unread_count(
    session: AsyncSession, principal: Principal, kinds: Collection[str], most: int
) -> int:
    """How many of the acting member's notifications of `kinds` are newer than their
    notifications marker (Mastodon's unread), counting up to `most`; none from those the
    member blocks or mutes with notifications."""
    member = await acting_member(session, principal, READ_NOTIFICATIONS)
    ids = (
        select(Notification.id)
        .where(
            Notification.actor_id == member.id,
            Notification.id > _last_read(member),
            Notification.kind.in_(kinds),
            heard_by(member.id, datetime.now(UTC)),
        )
        .limit(most)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(ids)) or 0)
