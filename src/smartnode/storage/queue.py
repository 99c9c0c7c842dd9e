"""The database is the queue: claim rows with a lease, then complete, retry or fail them.

Works on any table with `id`, `state`, `run_at`, `locked_until`, `attempts` and `last_error`
(inbox_messages, jobs, deliveries). One portable `UPDATE … RETURNING` claims a batch; on
PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED` so workers on many machines never
claim the same row. A worker that dies leaves its lease to expire and the row is claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.storage.in_lists import few_lengths

PENDING = "pending"
DONE = "done"
FAILED = "failed"


async def claim(
    session: AsyncSession,
    table: Table,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    where: ColumnElement[bool] | None = None,
) -> Sequence[Row[Any]]:
    """Lease up to `limit` due rows (oldest first); each claim counts as one attempt."""
    due = (
        select(table.c.id)
        .where(
            table.c.state == PENDING,
            table.c.run_at <= now,
            or_(table.c.locked_until.is_(None), table.c.locked_until < now),
        )
        .order_by(table.c.run_at, table.c.id)
        .limit(limit)
    )
    if where is not None:
        due = due.where(where)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(locked_until=now + lease, attempts=table.c.attempts + 1)
        .returning(*table.c)
    )
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return sorted(result.all(), key=lambda row: (row.run_at, row.id))


async def complete(session: AsyncSession, table: Table, ids: Sequence[int], **values: Any) -> None:
    """Mark rows done and release their lease (extra column values may be set too)."""
    if ids:
        await session.execute(
            update(table)
            .where(table.c.id.in_(few_lengths(ids)))
            .values(state=DONE, locked_until=None, **values),
            execution_options={"synchronize_session": False},
        )


async def retry(
    session: AsyncSession, table: Table, row_id: int, *, run_at: datetime, error: str, **values: Any
) -> None:
    """Release a row to run again at `run_at`, remembering why it failed."""
    await session.execute(
        update(table)
        .where(table.c.id == row_id)
        .values(locked_until=None, run_at=run_at, last_error=error[:2000], **values),
        execution_options={"synchronize_session": False},
    )


async def fail(
    session: AsyncSession, table: Table, row_id: int, *, error: str, **values: Any
) -> None:
    """Give up on a row for good."""
    await session.execute(
        update(table)
        .where(table.c.id == row_id)
        .values(state=FAILED, locked_until=None, last_error=error[:2000], **values),
        execution_options={"synchronize_session": False},
    )
