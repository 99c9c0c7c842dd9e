"""Group commit for the inbox edge: concurrent POSTs share one INSERT and one COMMIT.

Each request awaits the commit that holds its row, so nothing is answered 202 before it is
durably stored. A batch is one `INSERT … ON CONFLICT DO NOTHING` executed for all its rows (no
RETURNING, no ORM) with the body as the sender's JSON text, stored as received instead of
re-serialised. The statement is compiled once and sent as the driver's own SQL, its parameters
converted by the columns' types up front: a row costs no statement look-up and no per-row
parameter processing. It runs on connections the writer keeps: on PostgreSQL one atomic
asyncpg executemany in autocommit (one round trip), several batches at once so that requests
keep being verified while a commit waits for its WAL flush; on SQLite (one writer at a time)
BEGIN, executemany, COMMIT, one batch at a time. If a batch fails, its rows are tried again one
by one, so a row the database refuses fails only its own request; a row that is not stored
answers 503. A lost connection is replaced and the batch tried once more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Insert, Text, bindparam, cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage, table

log = logging.getLogger(__name__)

MAX_BATCH = 256
POSTGRESQL_LANES = 3  # batches committing at once: a PostgreSQL commit waits for its WAL flush
COLUMNS = ("activity_uri", "inbox", "actor_uri", "activity_type", "received_at", "state",
           "run_at", "attempts")  # fmt: skip

_Item = tuple[dict[str, Any], asyncio.Future[None]]


def inbox_insert(dialect: str) -> Insert:
    """The batch statement; parameters are COLUMNS plus `body_json`, the body's JSON text."""
    messages = table(InboxMessage)
    values: dict[str, Any] = {
        name: bindparam(f"{name}_value", type_=messages.c[name].type) for name in COLUMNS
    }
    values["body"] = bindparam("body_json", type_=Text())
    if dialect == "postgresql":  # the JSON text is parsed into JSONB by the server
        values["body"] = cast(values["body"], postgresql.JSONB)
        return postgresql.insert(messages).values(**values).on_conflict_do_nothing()
    return sqlite.insert(messages).values(**values).on_conflict_do_nothing()


class DriverInsert:
    """`inbox_insert` compiled once for a dialect: its SQL text and, for a row, the positional
    parameters its driver takes (each value converted as its column's type converts it)."""

    def __init__(self, dialect: Dialect) -> None:
        compiled = inbox_insert(dialect.name).compile(dialect=dialect, for_executemany=True)
        self.sql = compiled.string
        messages = table(InboxMessage)
        keys: list[str] = []
        processors: list[Callable[[Any], Any] | None] = []
        for name in compiled.positiontup or ():
            column = name.removesuffix("_value")
            keys.append("body_json" if name == "body_json" else column)
            kind = Text() if name == "body_json" else messages.c[column].type
            processors.append(kind.bind_processor(dialect))
        if set(keys) != {*COLUMNS, "body_json"}:
            raise RuntimeError(f"the inbox insert binds {keys}, not every column")
        self._fields = list(zip(keys, processors, strict=True))

    def parameters(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[key] if convert is None else convert(row[key]) for key, convert in self._fields
        )


class _Lane:
    """One connection of the writer, kept between batches and replaced when it is lost."""

    def __init__(self, db: Database, insert: DriverInsert) -> None:
        self.db = db
        self.insert = insert
        self.autocommit = db.engine.dialect.name == "postgresql"
        self._connection: AsyncConnection | None = None

    async def write(self, rows: list[dict[str, Any]]) -> None:
        parameters = [self.insert.parameters(row) for row in rows]
        try:
            await self._execute(parameters)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            await self.close()
            await self._execute(parameters)  # once more, on a new connection

    async def _execute(self, parameters: list[tuple[Any, ...]]) -> None:
        connection = await self._connected()
        if self.autocommit:  # one atomic executemany
            await connection.exec_driver_sql(self.insert.sql, parameters)
            return
        async with connection.begin():
            await connection.exec_driver_sql(self.insert.sql, parameters)

    async def _connected(self) -> AsyncConnection:
        if self._connection is not None and self._connection.invalidated:
            await self.close()
        if self._connection is None:
            connection = await self.db.engine.connect()
            if self.autocommit:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        return self._connection

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception as error:  # a dead connection may fail to close; it is dropped
                log.warning("closing a connection of the inbox writer: %s", error)


class InboxWriter:
    """Owns one background task that commits queued inbox rows in batches, `lanes` at once."""

    def __init__(
        self, db: Database, on_stored: asyncio.Event | None = None, lanes: int | None = None
    ) -> None:
        self.db = db
        self.on_stored = on_stored
        insert = DriverInsert(db.engine.dialect)
        count = lanes or (POSTGRESQL_LANES if db.engine.dialect.name == "postgresql" else 1)
        self._lanes = [_Lane(db, insert) for _ in range(count)]
        self._free = asyncio.Semaphore(count)
        self._committing: set[asyncio.Task[None]] = set()
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        """Finish the batches being committed, fail the queued rows, close the connections."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await asyncio.gather(*self._committing, return_exceptions=True)
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(ConnectionError("the node is stopping"))
        for lane in self._lanes:
            await lane.close()

    async def store(self, row: dict[str, Any]) -> None:
        """Return once `row` is committed (a duplicate counts as stored); raise if it is not.

        `row` holds a value for each of COLUMNS and `body_json`, the activity as JSON text."""
        if self._task is None or self._task.done():
            raise ConnectionError("the inbox writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((row, future))
        await future

    async def _run(self) -> None:
        """Wait for a free lane, then take every queued row (up to MAX_BATCH) as its batch."""
        while True:
            await self._free.acquire()
            try:
                batch = [await self._queue.get()]
            except BaseException:
                self._free.release()
                raise
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            task = asyncio.create_task(self._in_lane(batch))
            self._committing.add(task)
            task.add_done_callback(self._committing.discard)

    async def _in_lane(self, batch: list[_Item]) -> None:
        lane = self._lanes.pop()
        try:
            await self._commit(lane, batch)
        finally:
            self._lanes.append(lane)
            self._free.release()

    async def _commit(self, lane: _Lane, batch: list[_Item]) -> None:
        try:
            await lane.write([row for row, _ in batch])
        except Exception as error:  # any storage failure: tell every waiting request
            if len(batch) > 1 and _row_error(error):  # a refused row: find it, store the rest
                log.warning("could not store %d inbox messages together: %s", len(batch), error)
                for item in batch:
                    await self._commit(lane, [item])
                return
            log.error("could not store %d inbox messages: %s", len(batch), error)
            _settle(batch, ConnectionError("inbox storage failed"))
            return
        _settle(batch, None)
        if self.on_stored is not None:
            self.on_stored.set()


def _row_error(error: Exception) -> bool:
    """A statement error that one row may have caused (not a lost connection or a lock)."""
    if not isinstance(error, DBAPIError) or error.connection_invalidated:
        return False
    return not isinstance(error, OperationalError | InterfaceError)


def _settle(batch: list[_Item], error: Exception | None) -> None:
    for _, future in batch:
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
