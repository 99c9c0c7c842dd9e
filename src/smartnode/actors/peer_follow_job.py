"""The job that makes our node actor follow a trusted peer's, until the peer accepts or refuses.

Each run resolves the peer's node actor first (a fetch only when it is not stored yet, in a
session of its own), then makes one short write: accept the peer's Follow if it waited for us,
send our Follow, or look at how its delivery went. A Follow delivered but still unanswered is
sent again (a new id); a peer that cannot be reached is marked unreachable with the error. The
job runs again after 30 s, 1 min, 2 min … doubling up to an hour, each with up to a quarter
more at random, and gives up after MAX_ATTEMPTS runs (about a week); `smartnode peer add`, or
the peer's own Follow, starts it again.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.node import get_node_actor
from smartnode.actors.peer_states import (
    ACCEPTED,
    PENDING,
    REFUSED,
    UNREACHABLE,
    note_error,
    note_ours,
    peer_of_actor,
)
from smartnode.actors.peering import accept_waiting_follow, follow_pair, send_our_follow
from smartnode.actors.remote import get_remote_actor
from smartnode.actors.resolve import FetchingResolver
from smartnode.federation.fetch import FetchBudget, FetchError
from smartnode.job_run import Again, JobRun
from smartnode.storage.models import Activity, Actor, Delivery, Follow, Peer

FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 180
_FETCHES = 4


def follow_retry_delay(attempt: int, rng: random.Random) -> timedelta:
    """How long to wait after run `attempt` (1, 2, …): doubling from 30 s up to an hour,
    plus up to a quarter more at random so that peers do not all knock at once (pure)."""
    doublings = min(max(attempt - 1, 0), 16)
    base = min(FIRST_DELAY * (1 << doublings), MAX_DELAY)
    return base * (1 + rng.random() / 4)


async def _resolve(run: JobRun, actor_uri: str) -> tuple[int | None, str | None]:
    """The peer's node actor row id (fetched and stored when unknown), or the error."""
    async with run.db.session() as session:
        if await peer_of_actor(session, actor_uri) is None:
            return None, None  # no longer trusted: nothing to fetch
        resolver = FetchingResolver(
            session, run.uris, run.fetcher, now=run.now, signer=run.signer,
            budget=FetchBudget(_FETCHES),
        )  # fmt: skip
        try:
            actor = await resolver.actor(actor_uri)
            await session.commit()
        except FetchError as error:
            return None, f"could not fetch its node actor: {error.message}"
        except IntegrityError:  # stored meanwhile (its Follow reached our inbox as we fetched)
            await session.rollback()
            actor = await get_remote_actor(session, actor_uri)
        if actor is None:
            return None, f"its node actor {actor_uri} could not be fetched or was refused"
        return actor.id, None


async def run_follow_peer(run: JobRun, payload: dict[str, Any]) -> Again | None:
    """One run of the follow job (see the module docstring)."""
    actor_uri = str(payload["actor_uri"])
    their_id, error = await _resolve(run, actor_uri)
    async with run.db.session() as session, session.begin():
        peer = await peer_of_actor(session, actor_uri)
        node = await get_node_actor(session)
        if peer is None or node is None:
            return None
        await accept_waiting_follow(session, run.uris, node, peer, run.now)
        if peer.ours_state == REFUSED:
            return None  # until an operator adds the peer again, or it follows us anew
        their = await session.get(Actor, their_id) if their_id is not None else None
        if their is None:
            return _unreachable(run, peer, error or "its node actor is unknown")
        return await _step(session, run, peer, node, their)


async def _step(
    session: AsyncSession, run: JobRun, peer: Peer, node: Actor, their: Actor
) -> Again | None:
    """Send, re-send or wait, by where our Follow stands."""
    row = await follow_pair(session, node.id, their.id)
    if row is not None and row.state == ACCEPTED:
        note_ours(peer, ACCEPTED, run.now)
        return None
    if row is None or row.uri is None:
        await send_our_follow(session, run.uris, node, their, run.now)
        note_ours(peer, PENDING, run.now, "Follow sent")
        return _again(run, peer, "Follow sent; waiting for its answer")
    delivery = await _last_delivery(session, row)
    if delivery is None or (delivery.state == "pending" and not delivery.last_error):
        return _again(run, peer, "Follow on its way")
    if delivery.state == "pending":
        return _unreachable(run, peer, f"delivering our Follow: {delivery.last_error}")
    if delivery.state != "done":
        note_error(peer, f"our Follow was not delivered: {delivery.last_error}", run.now)
    await send_our_follow(session, run.uris, node, their, run.now)
    note_ours(peer, PENDING, run.now, "Follow sent again")
    return _again(run, peer, "Follow sent again; waiting for its answer")


async def _last_delivery(session: AsyncSession, row: Follow) -> Delivery | None:
    """The delivery of our latest Follow (None until its fan-out made one)."""
    return await session.scalar(
        select(Delivery)
        .join(Activity, Activity.id == Delivery.activity_id)
        .where(Activity.uri == row.uri)
        .order_by(Delivery.id.desc())
        .limit(1)
    )


def _unreachable(run: JobRun, peer: Peer, error: str) -> Again | None:
    note_ours(peer, UNREACHABLE, run.now, error)
    note_error(peer, error, run.now)
    return _again(run, peer, error)


def _again(run: JobRun, peer: Peer, why: str) -> Again | None:
    """The next run, or None once the job has tried long enough."""
    if run.attempts >= MAX_ATTEMPTS:
        note_error(peer, f"gave up after {run.attempts} tries: `smartnode peer add` tries again",
                   run.now)  # fmt: skip
        return None
    return Again(run.now + follow_retry_delay(run.attempts, run.rng), why)
