"""What the `smartnode` command and the demo share: error lines, running work, schema checks.

Every failure an operator can cause ends in one line on stderr and a non-zero exit, never a
traceback: SmartnodeError → 1 (ConfigError → 2), invalid input → one line per problem, an
unreachable database → one line naming it (password hidden).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
import uvloop
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_for
from smartnode.actors.identity import check_node_identity
from smartnode.actors.node import ensure_node_actor, get_node_actor
from smartnode.api.mastodon.answer_cache import writes_committed
from smartnode.config import Settings, load_settings
from smartnode.errors import ConfigError, SmartnodeError
from smartnode.ops.cache_bus import announce_change
from smartnode.storage.db import Database, create_engine
from smartnode.storage.migrate import alembic_config, upgrade

T = TypeVar("T")

#: Set by `smartnode --traceback`: let unexpected errors show where they happened.
show_traceback: ContextVar[bool] = ContextVar("show_traceback", default=False)


class NotInitialised(SmartnodeError):
    """The database is missing or behind the code's migrations."""


# ---------------------------------------------------------------- output and errors


def out() -> Console:
    """Standard output; wide when it is a file or pipe, so handles are never cut."""
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = max(console.width, 200)
    return console


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def safe_url(database_url: str) -> str:
    """The database URL with its password hidden."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable database URL)"


def validation_lines(exc: ValidationError) -> list[str]:
    """One `field: problem` line per pydantic error (list positions left out)."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return list(dict.fromkeys(lines))


def _first_line(value: object) -> str:
    lines = str(value).strip().splitlines()
    return lines[0] if lines else type(value).__name__


def explain(exc: Exception, database_url: str) -> tuple[list[str], int] | None:
    """Lines and exit code for an error an operator can cause; None for a bug."""
    if isinstance(exc, ConfigError):
        return [exc.message], 2
    if isinstance(exc, SmartnodeError):
        return [exc.message], 1
    if isinstance(exc, ValidationError):
        return validation_lines(exc), 1
    where = safe_url(database_url) if database_url else "the database"
    if isinstance(exc, DBAPIError):
        return [f"database {where}: {_first_line(exc.orig)}"], 1
    if isinstance(exc, OSError):
        if exc.filename:
            return [f"{exc.strerror or _first_line(exc)}: {exc.filename}"], 1
        return [f"cannot reach the database {where}: {_first_line(exc)}"], 1
    return None


def fail(lines: Iterable[str], code: int = 1) -> NoReturn:
    """Print each line in red on stderr and exit with `code`."""
    console = err()
    for line in lines:
        console.print(Text(line, style="red"))
    raise typer.Exit(code)


def guarded(work: Callable[[], T], database_url: str = "") -> T:
    """Run `work`, turning any operator-caused failure into a short message and an exit code."""
    try:
        return work()
    except Exception as exc:
        explained = explain(exc, database_url)
        if explained is None:
            if show_traceback.get():
                raise
            where = "`smartnode --traceback …` shows where"
            explained = ([f"unexpected {type(exc).__name__}: {_first_line(exc)} ({where})"], 1)
        fail(*explained)


def run(work: Callable[[Settings], Awaitable[T]], *, needs_schema: bool = True) -> T:
    """Load the settings, check the schema is current if asked, then run `work` to completion."""
    settings = guarded(load_settings)

    async def go() -> T:
        if needs_schema:
            await require_current_schema(settings.database_url)
            await require_own_identity(settings)
        return await work(settings)

    return guarded(lambda: run_loop(go()), settings.database_url)


def run_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` on uvloop, as uvicorn runs the API: the worker's thousands of database round
    trips a second each cost less there than on asyncio's own loop (docs/performance.md)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


def now() -> datetime:
    return datetime.now(UTC)


def split_list(value: str) -> list[str]:
    """`"sound design, mixing"` → `["sound design", "mixing"]`."""
    return [item.strip() for item in value.split(",") if item.strip()]


def handle(username: str, settings: Settings) -> str:
    """The handle of one of our actors, `@username@SMARTNODE_DOMAIN`."""
    return handle_for(username, settings.domain)


@asynccontextmanager
async def database_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on a database opened for one command and disposed afterwards. On PostgreSQL,
    a command that wrote anything tells the API processes to forget their caches (a revoked
    token, a suspended member, a changed profile show at once)."""
    db = Database(settings)
    wrote = writes_committed()
    try:
        async with db.session() as session:
            yield session
        if not settings.is_sqlite and writes_committed() > wrote:
            await announce_change(db.engine)
    finally:
        await db.dispose()


# ---------------------------------------------------------------- schema


async def current_revisions(database_url: str) -> set[str]:
    """The Alembic revisions the database is at (empty for a new database)."""

    def read(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


def head_revisions(database_url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def missing_sqlite_file(database_url: str) -> str | None:
    """The path of a SQLite database file that does not exist yet, else None."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return None if Path(str(url.database)).exists() else str(url.database)


async def require_current_schema(database_url: str) -> None:
    """NotInitialised unless the database exists and is migrated to the code's newest revision."""
    missing = missing_sqlite_file(database_url)
    if missing is not None:
        raise NotInitialised(f"no database at {missing}: run `smartnode init` first to create it")
    current, heads = await current_revisions(database_url), head_revisions(database_url)
    if current == heads:
        return
    script = ScriptDirectory.from_config(alembic_config(database_url))
    known = {rev.revision for rev in script.walk_revisions()}
    if current - known:
        raise NotInitialised(
            f"the database {safe_url(database_url)} is at revision {', '.join(sorted(current))}, "
            "newer than this smartnode: upgrade smartnode"
        )
    raise NotInitialised(
        f"the database {safe_url(database_url)} is not initialised or not up to date: "
        "run `smartnode init`"
    )


async def require_own_identity(settings: Settings) -> None:
    """IdentityMismatch unless the settings name the node this database was initialised as."""
    async with database_session(settings) as session, session.begin():
        await check_node_identity(session, settings, now())


# ---------------------------------------------------------------- init


@dataclass(frozen=True)
class InitReport:
    """What `init` found and did."""

    before: set[str]
    after: set[str]
    node_uri: str
    node_created: bool


async def init_node(settings: Settings) -> InitReport:
    """Migrate the database to the newest revision and make sure the node actor exists."""
    new_file = missing_sqlite_file(settings.database_url) is not None
    before = set() if new_file else await current_revisions(settings.database_url)
    await upgrade(settings.database_url)
    db = Database(settings)
    try:
        async with db.session() as session, session.begin():
            existed = await get_node_actor(session) is not None
            node = await ensure_node_actor(session, settings, now())
            node_uri = node.uri
    finally:
        await db.dispose()
    after = await current_revisions(settings.database_url)
    return InitReport(before=before, after=after, node_uri=node_uri, node_created=not existed)
