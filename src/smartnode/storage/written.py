"""Which tables each committed transaction wrote: heard by this process's readers at once, and
on PostgreSQL by every other process that listens.

A session listener notes the table of every row a flush writes and of every INSERT, UPDATE or
DELETE a session executes (`ALL` for a statement that names no table: raw SQL). Once the
transaction commits, each `Reader` of this process (`subscribe`) hears the tables; a rollback
tells no one. On PostgreSQL a transaction that wrote one of the `SHARED` tables also sends, as
it commits (after every `before_commit` listener has written what it writes at commit),
`NOTIFY smartnode_tables, '<origin> <table> …'`; PostgreSQL delivers it only if the commit
succeeds, to every process that LISTENs (ops/cache_bus.py), which tells its readers unless
`origin` is its own. The queues' and sessions' busy tables cost no notice.

Writes made on a Connection outside any ORM session are not noted (no table a reader keeps is
written that way); SQLite's readers also watch the file's data version (web/view_cache.py).
"""

from __future__ import annotations

import uuid
import weakref
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, object_mapper

CHANNEL = "smartnode_tables"
#: Stands for "any table" (a statement whose table is not known).
ALL = "*"
#: The tables whose writes other processes hear of: those views are kept of (web/view_cache.py:
#: calls and posts, actors, skill labels).
SHARED = frozenset({"objects", "actors", "skill_labels"})
#: This process, in its notices (it hears its own commits without them).
ORIGIN = uuid.uuid4().hex
_NOTED = "smartnode.written.tables"


class Reader(Protocol):
    """Something kept from the database that a committed write may change."""

    def written(self, tables: frozenset[str]) -> None: ...


_READERS: weakref.WeakSet[Any] = weakref.WeakSet()
_TABLE_NAMES: dict[type[Any], tuple[str, ...]] = {}


def subscribe(reader: Reader) -> None:
    """`reader.written(tables)` after each commit of this process that wrote `tables` (held
    weakly: a reader that is gone hears nothing)."""
    _READERS.add(reader)


def tell_readers(tables: frozenset[str]) -> None:
    """Tell this process's readers that `tables` changed (here or, heard, elsewhere)."""
    for reader in list(_READERS):
        reader.written(tables)


def notice(tables: frozenset[str]) -> str:
    """The payload of a notice: this process and the tables, space-separated."""
    return " ".join((ORIGIN, *sorted(tables)))


def heard(payload: str) -> frozenset[str] | None:
    """The tables of another process's notice; None for one of this process's own."""
    origin, *tables = payload.split()
    return None if origin == ORIGIN else frozenset(tables or (ALL,))


def _noted(session: Session) -> set[str]:
    found: set[str] = session.info.setdefault(_NOTED, set())
    return found


def _names(obj: object) -> tuple[str, ...]:
    kind = type(obj)
    names = _TABLE_NAMES.get(kind)
    if names is None:
        tables = object_mapper(obj).tables
        names = _TABLE_NAMES[kind] = tuple(str(getattr(t, "name", ALL)) for t in tables)
    return names


def _after_begin(session: Session, _transaction: SessionTransaction, conn: Connection) -> None:
    conn.info[_NOTED] = _noted(session)  # the same set: what the session notes, sent at commit


def _after_flush(session: Session, _context: object) -> None:
    noted = _noted(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        noted.update(_names(obj))


def _executed(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    _noted(state.session).add(name if isinstance(name, str) else ALL)


def _after_commit(session: Session) -> None:
    noted = session.info.pop(_NOTED, None)
    if noted:
        tell_readers(frozenset(noted))


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_NOTED, None)


def _committing(conn: Connection) -> None:
    """Engine `commit` (the transaction is still open): PostgreSQL's notice goes with it."""
    noted = conn.info.pop(_NOTED, None)
    told = frozenset(noted & (SHARED | {ALL})) if noted else None
    if told and conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                     {"channel": CHANNEL, "payload": notice(told)})  # fmt: skip


def _ended(conn: Connection) -> None:
    conn.info.pop(_NOTED, None)


_SESSION_LISTENERS = (
    ("after_begin", _after_begin),
    ("after_flush", _after_flush),
    ("do_orm_execute", _executed),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
)
_ENGINE_LISTENERS = (("commit", _committing), ("rollback", _ended), ("begin", _ended))


def install_listeners() -> None:
    """Note the tables every session of this process writes (idempotent)."""
    for name, listener in _SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    for name, engine_listener in _ENGINE_LISTENERS:
        if not event.contains(Engine, name, engine_listener):
            event.listen(Engine, name, engine_listener)
