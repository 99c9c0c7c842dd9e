"""`INSERT … ON CONFLICT DO NOTHING` for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> int:
    """Insert rows, skipping those that hit a unique constraint; returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    result = await session.execute(statement, list(rows))
    return len(result.all())
