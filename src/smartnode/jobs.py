"""Background jobs other than fan-out: a call's matching and topic feeds, run by the worker
one transaction each; and the jobs that fetch (our node actor's Follow of a trusted peer, the
back-fill of a peer's board), which open their own short transactions around their fetches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.peer_follow_job import run_follow_peer
from smartnode.actors.peering import BACKFILL_PEER, FOLLOW_PEER
from smartnode.actors.records import node_uris
from smartnode.actors.resolve import ActorResolver
from smartnode.config import Settings
from smartnode.content.backfill import run_backfill
from smartnode.job_run import FetchingJob
from smartnode.matching.feeds import announce_call_to_feeds
from smartnode.matching.notify import MATCH_CALL, run_call_matching
from smartnode.matching.search_vectors import shared_semantic

#: Jobs that fetch: run outside the worker's transaction (job_run.py).
FETCHING_JOBS: dict[str, FetchingJob] = {FOLLOW_PEER: run_follow_peer, BACKFILL_PEER: run_backfill}
JOB_KINDS = (MATCH_CALL, *FETCHING_JOBS)


async def run_job(
    session: AsyncSession,
    settings: Settings,
    resolver: ActorResolver,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Do one job; an exception leaves it to the worker to retry."""
    uris = node_uris(settings)
    if kind == MATCH_CALL:
        call_id = int(payload["call_id"])
        semantic = shared_semantic(settings.semantic_search)
        await run_call_matching(session, uris, call_id, now, semantic)
        await announce_call_to_feeds(session, uris, call_id, now)
    else:
        raise ValueError(f"unknown job kind {kind!r}")
