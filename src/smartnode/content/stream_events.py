"""What the streaming API tells its sockets: a status stored, changed or deleted, a notification
recorded. Every committed change is noted here, whatever made it (a post, a call, an inbound
Create, an edit): a session listener notes new and changed rows after each flush, `notice`
is called by content/notices.py, and the events are published once the transaction commits;
a rollback publishes nothing.

Events carry ids only (`Event`); each API process re-reads the rows and renders them for each
socket with its reader's rights (api/mastodon/streaming.py, content/stream_audience.py).

Publishing: on PostgreSQL `pg_notify` in the committing transaction (PostgreSQL delivers it only
on commit, to every process LISTENing: content/stream_broker.py); on SQLite (one process) the
in-process broker, after the commit, and only while a socket of this process listens.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session, SessionTransaction

from smartnode.content.stream_broker import (
    CHANNEL,
    DELETE,
    LOCAL,
    NOTIFICATION,
    STATUS,
    UPDATE,
    Event,
)
from smartnode.storage.models import ContentObject

_PENDING = "smartnode.stream_events.pending"
#: What a notification payload may hold (PostgreSQL's limit is 8000 bytes).
MAX_PAYLOAD = 7000
#: Changes of a row that show in its Status (counters and bookkeeping do not).
_SHOWN = ("content", "name", "summary", "tags", "attachments", "sensitive", "language")


def _postgres(session: Session) -> bool:
    try:
        return session.get_bind().dialect.name == "postgresql"
    except Exception:  # a session bound to nothing: nothing to publish
        return False


def _wanted(session: Session) -> bool:
    """Whether anyone may hear: always on PostgreSQL (other processes), else local sockets."""
    return LOCAL.listening or _postgres(session)


def _pending(session: Session) -> list[Event]:
    found: list[Event] = session.info.setdefault(_PENDING, [])
    return found


def notice(session: Session, member_id: int, kind: str, uri: str) -> None:
    """Note a new notification of `member_id` (published at commit)."""
    if _wanted(session) and len(uri) < MAX_PAYLOAD // 2:
        _pending(session).append(Event(NOTIFICATION, member_id, kind, uri))


def _change_of(obj: ContentObject) -> str | None:
    state = inspect(obj)
    deleted = state.attrs.deleted_at.history
    if deleted.added and deleted.added[0] is not None and not any(deleted.deleted):
        return DELETE
    if obj.deleted_at is None and any(state.attrs[n].history.has_changes() for n in _SHOWN):
        return UPDATE
    return None


def _after_flush(session: Session, _context: object) -> None:
    if not _wanted(session):
        return
    pending = _pending(session)
    for obj in session.new:
        if isinstance(obj, ContentObject):
            pending.append(Event(STATUS, obj.id))
    for obj in session.dirty:
        change = _change_of(obj) if isinstance(obj, ContentObject) else None
        if change is not None:
            pending.append(Event(change, obj.id))


def _payloads(events: list[Event]) -> list[str]:
    """The events in as few payloads as fit (each a JSON list)."""
    found: list[str] = []
    batch: list[list[Any]] = []
    for one in dict.fromkeys(events):
        batch.append(one.encoded())
        if len(json.dumps(batch)) > MAX_PAYLOAD:
            found.append(json.dumps(batch[:-1]))
            batch = [one.encoded()]
    if batch:
        found.append(json.dumps(batch))
    return [p for p in found if p != "[]"]


def _before_commit(session: Session) -> None:
    if not _postgres(session):
        return
    session.flush()  # what is still pending gets noted by _after_flush first
    events = session.info.pop(_PENDING, [])
    if not events:
        return
    conn = session.connection()
    for payload in _payloads(events):
        conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                     {"channel": CHANNEL, "payload": payload})  # fmt: skip


def _after_commit(session: Session) -> None:
    events = session.info.pop(_PENDING, [])
    if events and LOCAL.listening:
        LOCAL.deliver(list(dict.fromkeys(events)))


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)


_LISTENERS = (
    ("after_flush", _after_flush),
    ("before_commit", _before_commit),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
)


def install_listeners() -> None:
    """Note and publish the events of every ORM session (async ones' sync side too)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
