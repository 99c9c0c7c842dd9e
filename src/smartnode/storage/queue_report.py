"""What the queues hold, for operators: counts by kind and state, failed rows and their reasons,
and putting failed rows back to work (`smartnode jobs`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.errors import ValidationFailed
from smartnode.storage.models import Base, Delivery, InboxMessage, Job, table
from smartnode.storage.queue import FAILED, PENDING

#: Each queue and the column that tells its rows' kind.
QUEUES: dict[str, tuple[type[Base], str]] = {
    "inbox": (InboxMessage, "activity_type"),
    "jobs": (Job, "kind"),
    "deliveries": (Delivery, "host"),
}


@dataclass(frozen=True, slots=True)
class QueueCount:
    """How many rows of one kind are in one state, and the oldest one's due time."""

    queue: str
    kind: str
    state: str
    count: int
    oldest: datetime | None


@dataclass(frozen=True, slots=True)
class FailedRow:
    """A row the worker gave up on, with why."""

    queue: str
    id: int
    kind: str
    attempts: int
    error: str


def _queue(name: str) -> tuple[Table, ColumnElement[Any]]:
    if name not in QUEUES:
        raise ValidationFailed(f"unknown queue {name!r}: use one of {', '.join(QUEUES)}")
    model, kind = QUEUES[name]
    rows = table(model)
    return rows, rows.c[kind]


async def queue_counts(session: AsyncSession) -> list[QueueCount]:
    """Pending and failed rows of every queue by kind (done rows are history, not counted)."""
    counts = []
    for name in QUEUES:
        rows, kind = _queue(name)
        found = await session.execute(
            select(kind, rows.c.state, func.count(), func.min(rows.c.run_at))
            .where(rows.c.state.in_((PENDING, FAILED)))
            .group_by(kind, rows.c.state)
            .order_by(kind, rows.c.state)
        )
        counts += [QueueCount(name, str(k), str(s), int(n), at) for k, s, n, at in found.all()]
    return counts


async def failed_rows(
    session: AsyncSession, queue: str, *, kind: str | None = None, limit: int = 50
) -> Sequence[FailedRow]:
    """The newest failed rows of `queue` (of one kind if given)."""
    rows, kind_column = _queue(queue)
    statement = select(rows.c.id, kind_column, rows.c.attempts, rows.c.last_error).where(
        rows.c.state == FAILED
    )
    if kind is not None:
        statement = statement.where(kind_column == kind)
    found = await session.execute(statement.order_by(rows.c.id.desc()).limit(limit))
    return [FailedRow(queue, i, str(k), int(a), e or "") for i, k, a, e in found.all()]


async def retry_failed(
    session: AsyncSession,
    queue: str,
    now: datetime,
    *,
    ids: Sequence[int] = (),
    kind: str | None = None,
) -> int:
    """Put failed rows (these ids, or all of `kind`, or all) back to pending with fresh
    attempts, due now; how many."""
    rows, kind_column = _queue(queue)
    statement = update(rows).where(rows.c.state == FAILED)
    if ids:
        statement = statement.where(rows.c.id.in_(list(ids)))
    if kind is not None:
        statement = statement.where(kind_column == kind)
    result = await session.execute(
        statement.values(state=PENDING, run_at=now, attempts=0, locked_until=None),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """One queue at a glance: rows waiting, rows given up on, how long the oldest due one
    has waited (0.0 when none is due)."""

    queue: str
    pending: int
    failed: int
    oldest_due_seconds: float


async def queue_depths(session: AsyncSession, now: datetime) -> list[QueueDepth]:
    """Every queue's depth, one grouped query each (the claim indexes lead with state)."""
    depths = []
    for name in QUEUES:
        rows, _ = _queue(name)
        found = await session.execute(
            select(rows.c.state, func.count(), func.min(rows.c.run_at))
            .where(rows.c.state.in_((PENDING, FAILED)))
            .group_by(rows.c.state)
        )
        by_state = {str(state): (int(count), oldest) for state, count, oldest in found.all()}
        pending, oldest = by_state.get(PENDING, (0, None))
        waited = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        depths.append(QueueDepth(name, pending, by_state.get(FAILED, (0, None))[0], waited))
    return depths
