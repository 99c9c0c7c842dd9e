"""What pages show, kept as read from the database (never the rendered page): the board's
cards and a call page's views, per address and language, so that every request, a signed-in
member's too, renders its page with no query while nothing they show has changed.

An entry names the tables it was read from and is dropped as soon as one of them changes:

- a transaction of this process commits a write to one of them (storage/written.py);
- on PostgreSQL, another process's commit does (its notice, heard by ops/cache_bus.py, which
  also forgets everything when its connection was lost or the CLI changed something);
- on SQLite, anything at all is committed to the file, by any process (`PRAGMA data_version`,
  looked at on each request: storage/data_version.py);
- the soonest deadline among the calls it shows passes (the call leaves the board);
- at the latest after SMARTNODE_VIEW_CACHE_SECONDS (0 keeps nothing).

What was read while a change committed is not kept: each entry remembers the clock before its
read, and any change after that makes it stale.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartnode.storage.data_version import DataVersion
from smartnode.storage.written import ALL, subscribe

STATE_KEY = "views"
MAX_ENTRIES = 2_000


@dataclass(slots=True)
class _Entry:
    value: Any
    tables: frozenset[str]
    read_at: int  # the clock before it was read
    expires_at: float  # time.monotonic()
    until: float  # time.time() of the soonest deadline it shows (inf: none)


class ViewCache:
    """A bounded map from a page's key to the views read for it, with their tables."""

    def __init__(
        self, ttl_seconds: float, changes: DataVersion | None = None, max_entries: int = MAX_ENTRIES
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._changes = changes
        self._entries: dict[Hashable, _Entry] = {}
        self._clock = 0
        self._changed: dict[str, int] = {}  # table → the clock of its last change
        self._all = 0  # the clock of the last change of everything
        subscribe(self)

    def stamp(self) -> int:
        """Take before reading what is to be kept (`put(read_at=)`)."""
        self._look()
        return self._clock

    def get(self, key: Hashable) -> Any | None:
        """What was kept for `key`, or None (never kept, or changed since)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._look()
        if (
            entry.expires_at <= time.monotonic()
            or entry.until <= time.time()
            or self._stale(entry.tables, entry.read_at)
        ):
            self._entries.pop(key, None)
            return None
        return entry.value

    def put(
        self, key: Hashable, value: Any, *, tables: frozenset[str], read_at: int,
        until: datetime | None = None,
    ) -> None:  # fmt: skip
        """Keep `value`, read from `tables` after `stamp()` gave `read_at`, until the deadline
        `until` (if any): unless one of them changed meanwhile."""
        if self.ttl_seconds <= 0 or self._stale(tables, read_at):
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded: a full cache refills from the database
        deadline = until.timestamp() if until is not None else float("inf")
        expires = time.monotonic() + self.ttl_seconds
        self._entries[key] = _Entry(value, tables, read_at, expires, deadline)

    def written(self, tables: frozenset[str]) -> None:
        """`tables` changed (a commit here or, heard, elsewhere): what was read from them goes."""
        self._clock += 1
        if ALL in tables:
            self._all = self._clock
            self._entries.clear()
            return
        for table in tables:
            self._changed[table] = self._clock

    def forget(self) -> None:
        """Anything may have changed (another process told us, or we may have missed it)."""
        self.written(frozenset({ALL}))

    def close(self) -> None:
        if self._changes is not None:
            self._changes.close()

    def _look(self) -> None:
        if self._changes is not None and self._changes.changed():
            self.forget()

    def _stale(self, tables: frozenset[str], read_at: int) -> bool:
        if self._all > read_at:
            return True
        changed = self._changed
        return any(changed.get(table, 0) > read_at for table in tables)


def view_cache(app: Any) -> ViewCache:
    """The app's kept views (app.py makes them; a bare app gets a cache that keeps nothing)."""
    found = getattr(app.state, STATE_KEY, None)
    if not isinstance(found, ViewCache):
        found = ViewCache(0)
        setattr(app.state, STATE_KEY, found)
    return found
