"""SQLite run on the event loop's own thread, for the worker process.

aiosqlite runs every call (execute, each fetch, cursor open and close) on a thread of its own
and hands the result back through the loop: about eight thread hops per statement, each paying
for the GIL changing hands. For the worker, which runs thousands of short statements a second,
those hops cost more than the statements (bench/worker.py: the same drain took 2.4 times as
long). Here the calls run inline: a SQLite statement on a local file takes microseconds.

The one thing a blocking call must never do on the loop is wait for a lock held by another
connection of the same process (that connection's transaction can only finish on this loop): the
connections get no busy timeout, and a statement refused with SQLITE_BUSY is tried again after
an `asyncio.sleep`, so the loop keeps running the transaction holding the lock, up to
BUSY_WAIT seconds in all, as SQLite's own busy handler would. A stale snapshot
(SQLITE_BUSY_SNAPSHOT) is not retried: as with the busy handler, the transaction must start
again.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

#: How long, in all, a statement waits for another connection's write lock (the busy timeout
#: of the other connections).
BUSY_WAIT = 10.0
_FIRST_PAUSE = 0.001
_LONGEST_PAUSE = 0.05


class InLoopConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the loop; its thread only opens and closes."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        waited, pause = 0.0, _FIRST_PAUSE
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or waited >= BUSY_WAIT:
                    raise
            await asyncio.sleep(pause)
            waited += pause
            pause = min(2 * pause, _LONGEST_PAUSE)


def in_loop_creator(path: str) -> Callable[[], Any]:
    """An `async_creator` for SQLAlchemy: connections to `path` that run in the loop."""

    async def connect() -> InLoopConnection:
        connection = InLoopConnection(
            partial(sqlite3.connect, path, timeout=0, check_same_thread=False), 64
        )
        connection._thread.daemon = True
        await connection  # opens the file on the connection's thread
        return connection

    return connect
