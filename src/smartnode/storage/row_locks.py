"""A row read in order to be changed, locked first on both databases: PostgreSQL honours
`SELECT … FOR UPDATE`; SQLite ignores it, so there a no-op UPDATE of the row takes the
database's write lock before the read, and a second writer waits (busy timeout) and then reads
what the first one committed instead of overwriting it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


async def for_update(
    session: AsyncSession, query: Select[Any], key: InstrumentedAttribute[int], row_id: int
) -> Any:
    """The one row `query` finds, locked against other writers until the transaction ends."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(update(key.class_).where(key == row_id).values({key: key}))
        return await session.scalar(query)
    return await session.scalar(query.with_for_update())
