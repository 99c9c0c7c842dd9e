"""`INSERT … ON CONFLICT DO NOTHING` for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

#: One statement per dialect and table, built once: building it cost more than running it.
_STATEMENTS: dict[tuple[str, Table], Insert] = {}


def _statement(dialect: str, table: Table) -> Insert:
    found = _STATEMENTS.get((dialect, table))
    if found is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        found = insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
        _STATEMENTS[(dialect, table)] = found
    return found


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> int:
    """Insert rows, skipping those that hit a unique constraint; returns how many were new."""
    if not rows:
        return 0
    statement = _statement(session.get_bind().dialect.name, table)
    result = await session.execute(statement, list(rows))
    return len(result.all())
