"""The brokers of the streaming API: how an event published by any process reaches the sockets
of this one. One small interface (`Fanout`: `subscribe`, `unsubscribe`, `deliver`), two
brokers:

- `LOCAL`, in-process (SQLite: one process serves the node); stream_events delivers to it
  after each commit, and skips even noting events while no socket of the process listens.
- `PostgresBroker`, one `LISTEN` connection (asyncpg) per API process, opened with the first
  socket and closed with the last; what it hears is delivered to the process's sockets.

A subscriber is a bounded queue of events: a socket too slow to read loses events rather than
holding the process's memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "smartnode_stream"
STATUS, UPDATE, DELETE, NOTIFICATION = "update", "status.update", "delete", "notification"
KINDS = (STATUS, UPDATE, DELETE, NOTIFICATION)
#: Events a socket may have waiting before newer ones are dropped.
QUEUE_SIZE = 500


@dataclass(frozen=True, slots=True)
class Event:
    """A status (`ref` its row id) or a notification (`ref` the member, with kind and uri)."""

    kind: str
    ref: int
    note_kind: str = ""
    uri: str = ""

    def encoded(self) -> list[Any]:
        return [self.kind, self.ref, self.note_kind, self.uri]


def decode(payload: str) -> list[Event]:
    """The events of one published payload (anything malformed is dropped)."""
    try:
        rows = json.loads(payload)
    except ValueError:
        return []
    found = []
    for row in rows if isinstance(rows, list) else []:
        if (isinstance(row, list) and len(row) == 4 and row[0] in KINDS
                and isinstance(row[1], int) and isinstance(row[2], str)
                and isinstance(row[3], str)):  # fmt: skip
            found.append(Event(row[0], row[1], row[2], row[3]))
    return found


Subscription = asyncio.Queue[Event]


class Fanout:
    """The sockets of this process that listen, and handing each of them the events."""

    def __init__(self) -> None:
        self._queues: dict[Subscription, asyncio.AbstractEventLoop] = {}

    @property
    def listening(self) -> bool:
        return bool(self._queues)

    async def subscribe(self) -> Subscription:
        queue: Subscription = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues[queue] = asyncio.get_running_loop()
        return queue

    async def unsubscribe(self, queue: Subscription) -> None:
        self._queues.pop(queue, None)

    def deliver(self, events: list[Event]) -> None:
        """Hand `events` to every subscriber (from any thread)."""
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for queue, loop in list(self._queues.items()):
            if loop is here:
                _put(queue, events)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_put, queue, events)


def _put(queue: Subscription, events: list[Event]) -> None:
    for one in events:
        if queue.full():
            log.warning("a streaming socket reads too slowly: events dropped")
            return
        queue.put_nowait(one)


#: The in-process broker (SQLite).
LOCAL = Fanout()


class PostgresBroker(Fanout):
    """Events heard on PostgreSQL's `LISTEN smartnode_stream`, for the sockets of a process."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def subscribe(self) -> Subscription:
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                conn = await asyncpg.connect(self._dsn)
                await conn.add_listener(CHANNEL, self._heard)
                conn.add_termination_listener(self._lost)
                self._conn = conn
            return await super().subscribe()

    async def unsubscribe(self, queue: Subscription) -> None:
        async with self._lock:
            await super().unsubscribe(queue)
            if not self.listening and self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.deliver(decode(payload))

    def _lost(self, conn: Any) -> None:
        if conn is self._conn:  # not one closed on purpose since
            log.warning("the streaming LISTEN connection was lost; the next socket reopens it")
            self._conn = None


def broker_for(database_url: str) -> Fanout:
    """The broker of a process serving `database_url`."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresBroker(database_url)
    return LOCAL
