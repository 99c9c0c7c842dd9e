"""A PostgreSQL database of a bench's own, made before it runs and dropped after."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def scratch_postgres(server: str, name: str, *, create: bool) -> str:
    """Drop the database `name` on `server` (an asyncpg URL without a database) and, with
    `create`, make it again, empty; its URL."""
    engine = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return f"{server}/{name}"
