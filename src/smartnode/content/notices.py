"""Notifications for local members: inserted here, read through the notifications API.

`notify` inserts one at once and tells whether it is new; `notify_at_commit` keeps it until the
transaction commits, when every notification kept in it is inserted in one statement (a
worker's group of inbox messages notifies tens of members). A rollback forgets them, and a
savepoint's rollback those noted inside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.dml import Insert

from smartnode.content.stream_events import notice
from smartnode.storage.kept import KeptForCommit
from smartnode.storage.models_work import Notification
from smartnode.storage.upsert import insert_ignoring_conflicts

_KEPT: KeptForCommit[dict[str, Any]] = KeptForCommit("smartnode.notices.kept")
#: Per dialect, built once: the new rows come back as (member, kind, object).
_INSERTS: dict[str, Insert] = {}


async def notify(
    session: AsyncSession,
    actor_id: int,
    kind: str,
    object_uri: str,
    data: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Notify a member once per (member, kind, object); True when the notification is new."""
    row = _row(actor_id, kind, object_uri, data, now)
    new = await insert_ignoring_conflicts(session, Notification.__table__, [row]) == 1  # type: ignore[arg-type]
    if new:
        notice(session.sync_session, actor_id, kind, object_uri)  # the streaming API's event
    return new


def notify_at_commit(
    session: AsyncSession,
    actor_id: int,
    kind: str,
    object_uri: str,
    data: dict[str, Any] | None,
    now: datetime,
) -> None:
    """As `notify`, the row inserted when the transaction commits (with the others kept)."""
    _KEPT.note(session.sync_session, _row(actor_id, kind, object_uri, data, now))


def _row(
    actor_id: int, kind: str, object_uri: str, data: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    return {"actor_id": actor_id, "kind": kind, "object_uri": object_uri, "data": data or {},
            "created_at": now, "read_at": None}  # fmt: skip


def _insert(dialect: str) -> Insert:
    found = _INSERTS.get(dialect)
    if found is None:
        table = Notification.__table__
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        found = _INSERTS[dialect] = (
            insert(table).on_conflict_do_nothing()  # type: ignore[arg-type]
            .returning(table.c.actor_id, table.c.kind, table.c.object_uri)
        )  # fmt: skip
    return found


def _write_kept(session: Session) -> None:
    """before_commit: the kept notifications in one INSERT; the new ones heard of. A
    savepoint's commit (the event fires for it too) leaves them for the transaction's."""
    kept = _KEPT.take(session)
    if not kept:
        return
    statement = _insert(session.get_bind().dialect.name)
    new = session.execute(statement, kept).all()
    for actor_id, kind, object_uri in new:
        notice(session, actor_id, kind, object_uri)  # the streaming API's event


def _forget_kept(session: Session, previous: SessionTransaction) -> None:
    """A rollback forgets what was noted in the transaction (or in the savepoint) it ended."""
    _KEPT.forget(session, previous)


def install_listeners() -> None:
    """Kept notifications are written first thing at commit (before the streaming events
    are sent), and forgotten on a rollback."""
    if not event.contains(Session, "before_commit", _write_kept):
        event.listen(Session, "before_commit", _write_kept, insert=True)
        event.listen(Session, "after_soft_rollback", _forget_kept)
