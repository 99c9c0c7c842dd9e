"""What operators watch and what processes share: each worker's heartbeat (/readyz, doctor) and
the inbox's rate buckets (shared across API processes on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import UTCDateTime


class WorkerHeartbeat(Base):
    """One worker process: who it is (host:pid:random) and when its loop last went round."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateBucket(Base):
    """A token bucket shared by every process (PostgreSQL): tokens left as of `updated_at`.
    Unlogged on PostgreSQL; a bucket idle long enough to be full is deleted."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
