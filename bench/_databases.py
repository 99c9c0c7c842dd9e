"""A PostgreSQL database of a bench's own, made before it runs and dropped after."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

#: Where PostgreSQL listens on this machine: a Unix socket directory (the way to reach a database
#: on the same machine, as a node should) when there is one.
PG_SOCKET = "/var/run/postgresql"


def local_postgres() -> str:
    """The local server: its socket directory when present, else loopback TCP."""
    return PG_SOCKET if Path(PG_SOCKET).is_dir() else "127.0.0.1:5432"


def pg_url(server: str, database: str) -> str:
    """An asyncpg URL of `database` on `server`: a socket directory, host:port, or an asyncpg URL
    without a database (`postgresql+asyncpg://user@host:port`)."""
    if server.startswith("/"):
        return f"postgresql+asyncpg://postgres@/{database}?host={server}"
    if "://" in server:
        return f"{server}/{database}"
    return f"postgresql+asyncpg://postgres@{server}/{database}"


async def scratch_postgres(
    server: str, name: str, *, create: bool, template: str | None = None
) -> str:
    """Drop the database `name` on `server` (see pg_url) and, with `create`, make it again:
    empty, or a copy of `template` (which nobody may be connected to); its URL."""
    engine = create_async_engine(pg_url(server, "postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            copy = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    await engine.dispose()
    return pg_url(server, name)
