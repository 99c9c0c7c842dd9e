"""Background jobs other than fan-out, run by the worker one transaction each: a call's
matching and topic feeds, and our node actor's Follow of a trusted peer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.peers import FOLLOW_PEER, follow_peer
from smartnode.actors.records import node_uris
from smartnode.actors.resolve import ActorResolver
from smartnode.config import Settings
from smartnode.matching.feeds import announce_call_to_feeds
from smartnode.matching.notify import MATCH_CALL, run_call_matching
from smartnode.matching.semantic import semantic_reorder

JOB_KINDS = (MATCH_CALL, FOLLOW_PEER)


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
        reorder = semantic_reorder(settings.semantic_rerank)
        await run_call_matching(session, uris, call_id, now, reorder)
        await announce_call_to_feeds(session, uris, call_id, now)
    elif kind == FOLLOW_PEER:
        await follow_peer(session, uris, resolver, str(payload["actor_uri"]), now)
    else:
        raise ValueError(f"unknown job kind {kind!r}")
