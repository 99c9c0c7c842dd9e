"""Engine and sessions. SQLite (aiosqlite, WAL) by default; PostgreSQL (asyncpg) in production."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from smartnode.config import Settings
from smartnode.content.notices import install_listeners as install_kept_notices
from smartnode.content.reactions import install_listeners as install_counters
from smartnode.content.stream_events import install_listeners as install_stream_events
from smartnode.errors import ConfigError
from smartnode.matching.search_index import install_listeners
from smartnode.storage.commit_jobs import install_listeners as install_commit_jobs
from smartnode.storage.sqlite_in_loop import in_loop_creator


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    """The connect listener: WAL, foreign keys, and how long a statement waits for a lock
    (0 for connections run on the loop, which wait by sleeping on it instead)."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def _json_loads(text: str | bytes) -> Any:
    """JSON columns as read: orjson, several times faster than the standard library (the
    worker reads every claimed message's body); what it refuses (a number beyond a double, a
    lone surrogate) is read by the standard library's."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine(database_url: str, *, sqlite_in_loop: bool = False) -> AsyncEngine:
    """An async engine for SQLite or PostgreSQL; creates the SQLite file's folder if needed.
    `sqlite_in_loop`: SQLite calls run on the event loop's thread (storage/sqlite_in_loop.py)."""
    try:
        url = make_url(database_url)
    except Exception:
        raise ConfigError(
            f"SMARTNODE_DATABASE_URL is not a database URL: {database_url!r}"
        ) from None
    if url.get_backend_name() == "sqlite":
        on_file = bool(url.database) and url.database != ":memory:"
        if on_file:
            Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        if sqlite_in_loop and on_file:
            engine = create_async_engine(
                url, async_creator=in_loop_creator(str(url.database)), json_deserializer=_json_loads
            )
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas(0))
            return engine
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, json_deserializer=_json_loads
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(10_000))
        return engine
    if url.get_backend_name() == "postgresql":
        if url.get_driver_name() != "asyncpg":
            url = url.set(drivername="postgresql+asyncpg")
        return create_async_engine(
            url, pool_size=10, max_overflow=10, pool_pre_ping=True, json_deserializer=_json_loads
        )
    raise ConfigError("SMARTNODE_DATABASE_URL must be a sqlite or postgresql URL")


class Database:
    """The engine and a session factory; one per process, created in the app lifespan."""

    def __init__(self, settings: Settings, *, sqlite_in_loop: bool = False) -> None:
        """`sqlite_in_loop` is for a process whose loop runs only the worker (`smartnode
        worker`): SQLite calls then skip aiosqlite's thread."""
        self.engine = create_engine(settings.database_url, sqlite_in_loop=sqlite_in_loop)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        install_listeners()  # the search index follows every committed change
        install_counters()  # reaction counters are written at commit
        install_stream_events()  # the streaming API hears of new statuses and notifications
        install_commit_jobs()  # jobs about new rows (fan-out, call matching) written at commit
        install_kept_notices()  # notifications kept for the commit, written first at it

    def session(self) -> AsyncSession:
        return self.sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()
