"""Document caches emptied across API processes on PostgreSQL (LISTEN/NOTIFY).

Each API process keeps rendered documents, public pages and the answers Mastodon apps ask for
again and again (api/cache.py, web/page_cache.py, api/mastodon/answer_cache.py) and empties them
after its own writes. On PostgreSQL its `CacheBus` tells the others: a clear
here wakes the bus, which sends `NOTIFY smartnode_caches, '<this process>'` on its own
connection (clears in a burst are sent once); every other process `LISTEN`s on that connection
and forgets its caches when it hears one. On the same connection it hears which tables every
other process's commits wrote (`smartnode_tables`, sent by storage/written.py, a worker's
too) and tells the views kept from them (web/view_cache.py). A lost connection is reopened
(0.5 s, doubling up to 10 s); on reopening the process forgets its caches and views, since it
may have missed a notice. SQLite serves one process: no bus.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from smartnode.api.cache import DocumentCache
from smartnode.api.mastodon.answer_cache import answer_cache
from smartnode.config import Settings
from smartnode.content.stream_broker import CHANNEL as STREAM_CHANNEL
from smartnode.storage import written
from smartnode.web.page_cache import MAX_ENTRIES as PAGE_ENTRIES
from smartnode.web.page_cache import STATE_KEY as PAGES_KEY

log = logging.getLogger(__name__)

CHANNEL = "smartnode_caches"
#: The notice of a change made outside the API processes (the CLI).
OUTSIDE = "outside"
EVERYTHING = frozenset({written.ALL})
FIRST_RETRY, LAST_RETRY = 0.5, 10.0
FIRST_WAIT = 5.0


class Forgets(Protocol):
    """A cache that another process's change empties."""

    def forget(self) -> None: ...


Caches = Callable[[], Iterable[Forgets | None]]


class CacheBus:
    """One LISTEN connection per API process, sending and hearing cache clears."""

    def __init__(
        self, database_url: str, caches: Caches, on_stream: Callable[[], None] | None = None
    ) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._caches = caches
        self._on_stream = on_stream
        self.origin = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self._pending = False
        self._lost = asyncio.Event()
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        #: Notices heard from other processes, and connections opened (tests and logs).
        self.heard = 0
        self.heard_stream = 0  # streaming events heard (any process's, this one's too)
        self.heard_tables = 0  # other processes' commits heard, with the tables they wrote
        self.connections = 0

    @property
    def server_pid(self) -> int | None:
        """The PostgreSQL backend of the LISTEN connection (None while reconnecting)."""
        conn = self._conn
        return None if conn is None or conn.is_closed() else int(conn.get_server_pid())

    def announce(self) -> None:
        """Tell the other processes (called after each clear here; sent by the bus's task)."""
        self._pending = True
        self._wake.set()

    async def start(self) -> None:
        """Listen before the process serves (so no notice is missed while its caches fill),
        waiting at most FIRST_WAIT seconds; the bus's task keeps (re)connecting."""
        try:
            await asyncio.wait_for(self._connect(), FIRST_WAIT)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("cache bus not listening yet (%s); retrying", type(error).__name__)
            await self._close()
        self._task = asyncio.create_task(self._run(), name="cache-bus")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._close()

    async def _run(self) -> None:
        delay = FIRST_RETRY
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    await self._connect()
                delay = FIRST_RETRY
                await self._serve()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("cache bus connection lost (%s); reconnecting in %.1f s",
                            type(error).__name__, delay)  # fmt: skip
            await self._close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self._dsn)
        self._lost.clear()
        await conn.add_listener(CHANNEL, self._heard)
        if self._on_stream is not None:
            await conn.add_listener(STREAM_CHANNEL, self._heard_stream)
        await conn.add_listener(written.CHANNEL, self._heard_tables)
        conn.add_termination_listener(lambda _conn: self._lost.set())
        self._conn = conn
        self.connections += 1
        self._forget_all()  # notices sent while no connection listened are lost
        written.tell_readers(EVERYTHING)
        if self.connections > 1:
            log.info("cache bus reconnected")

    async def _serve(self) -> None:
        """Send what is pending until the connection is lost."""
        while not self._lost.is_set():
            if self._pending:
                self._pending = False
                try:
                    await self._conn.execute("SELECT pg_notify($1, $2)", CHANNEL, self.origin)
                except BaseException:
                    self._pending = True  # sent once the connection is back
                    raise
                continue
            waiting = asyncio.ensure_future(self._wake.wait())
            lost = asyncio.ensure_future(self._lost.wait())
            try:
                await asyncio.wait({waiting, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiting.cancel()
                lost.cancel()
            self._wake.clear()
        raise ConnectionResetError("the LISTEN connection was closed")

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != self.origin:
            self.heard += 1
            self._forget_all()
        if payload == OUTSIDE:  # the CLI says nothing of its tables
            written.tell_readers(EVERYTHING)

    def _heard_tables(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        tables = written.heard(payload)
        if tables is not None:
            self.heard_tables += 1
            written.tell_readers(tables)

    def _heard_stream(self, _conn: Any, _pid: int, _channel: str, _payload: str) -> None:
        self.heard_stream += 1
        if self._on_stream is not None:
            self._on_stream()

    def _forget_all(self) -> None:
        for cache in self._caches():
            if cache is not None:
                cache.forget()


async def announce_change(engine: AsyncEngine) -> None:
    """Tell every API process to forget its caches (a change made outside them: the CLI)."""
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                           {"channel": CHANNEL, "payload": OUTSIDE})  # fmt: skip


def install_cache_bus(app: Any, settings: Settings) -> CacheBus | None:
    """On PostgreSQL, a bus that the app's document, page and answer caches tell of their
    clears; the answers are forgotten on every streaming event too (another process's work)."""
    if settings.is_sqlite:
        return None
    state = app.state
    pages = DocumentCache(ttl_seconds=settings.page_cache_seconds, max_entries=PAGE_ENTRIES)
    setattr(state, PAGES_KEY, pages)
    answers = answer_cache(app, settings.document_cache_seconds)

    def caches() -> list[Forgets | None]:
        return [state.documents, getattr(state, PAGES_KEY, None), answers]

    bus = CacheBus(settings.database_url, caches, on_stream=answers.forget)
    for cache in (state.documents, pages, answers):
        cache.on_clear = bus.announce
    return bus
