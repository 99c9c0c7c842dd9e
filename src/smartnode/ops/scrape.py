"""What a scrape reads from the database: queue depths and waits, hosts in trouble, the
worker's heartbeat. A handful of grouped counts, one short read-only transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import QueuePool

from smartnode.ops.heartbeat import last_beat
from smartnode.ops.metrics import NodeMetrics
from smartnode.storage.models import Host
from smartnode.storage.queue_report import queue_depths


async def read_database_gauges(session: AsyncSession, metrics: NodeMetrics, now: datetime) -> None:
    """Set the gauges that the database knows, and the pool's use (this session included)."""
    pool = (await session.connection()).engine.pool
    if isinstance(pool, QueuePool):
        metrics.pool.labels("in_use").set(pool.checkedout())
        metrics.pool.labels("idle").set(pool.checkedin())
    for depth in await queue_depths(session, now):
        metrics.queue_rows.labels(depth.queue, "pending").set(depth.pending)
        metrics.queue_rows.labels(depth.queue, "failed").set(depth.failed)
        metrics.queue_oldest.labels(depth.queue).set(depth.oldest_due_seconds)
    open_breakers = await session.scalar(
        select(func.count()).select_from(Host).where(Host.breaker_until > now)
    )
    unavailable = await session.scalar(
        select(func.count()).select_from(Host).where(Host.unavailable.is_(True))
    )
    metrics.hosts.labels("breaker_open").set(open_breakers or 0)
    metrics.hosts.labels("unavailable").set(unavailable or 0)
    beat = await last_beat(session)
    metrics.heartbeat_age.set(-1 if beat is None else max((now - beat).total_seconds(), 0.0))
