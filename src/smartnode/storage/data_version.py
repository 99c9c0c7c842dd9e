"""Whether anything was committed to a SQLite file since the last look, by any connection of any
process (`PRAGMA data_version`, SQLite's own answer to that question, read on a connection of
its own in a few microseconds on the event loop's thread: it waits for no lock)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import make_url


class DataVersion:
    """`changed()` is True when a commit happened since it was last asked (and the first time,
    and whenever the file cannot be read: a caller then trusts nothing it kept)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._seen: int | None = None

    @classmethod
    def of(cls, database_url: str) -> DataVersion | None:
        """The watcher of a SQLite file (None for PostgreSQL or an in-memory database)."""
        url = make_url(database_url)
        path = url.database
        if url.get_backend_name() != "sqlite" or not path or path == ":memory:":
            return None
        return cls(path)

    def changed(self) -> bool:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self.path, timeout=0, isolation_level=None, check_same_thread=False
                )
            row = self._conn.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            self.close()
            return True
        version = int(row[0])
        if version == self._seen:
            return False
        self._seen = version
        return True

    def close(self) -> None:
        conn, self._conn, self._seen = self._conn, None, None
        if conn is not None:
            conn.close()
