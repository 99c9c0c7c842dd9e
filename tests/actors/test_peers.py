"""Trusted peers: adding one makes our node actor follow the peer's node actor, through a
worker job that waits out an unreachable peer and does nothing once the peer is removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peers import FOLLOW_PEER, add_peer, remove_peer
from smartnode.storage.models import Activity, Delivery, Follow, Job
from smartnode.worker import Worker
from tests.inbox import Fediverse

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PEER = "https://be.smart.test/actor"


@pytest.fixture
async def world(db, settings):
    async with db.session() as session, session.begin():
        node = await ensure_node_actor(session, settings, NOW)
    fediverse = Fediverse()
    worker = Worker(
        settings, db, fediverse.fetcher(settings), signer=node_signer(node, settings),
        deliverer=None,
    )  # fmt: skip
    yield worker, fediverse, node


async def _jobs(db) -> list[tuple[str, str, int]]:
    async with db.session() as session:
        rows = await session.scalars(select(Job).where(Job.kind == FOLLOW_PEER))
        return [(j.payload["actor_uri"], j.state, j.attempts) for j in rows.all()]


async def test_a_new_peer_is_followed_by_our_node_actor(db, world) -> None:
    worker, fediverse, node = world
    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
        await add_peer(session, "https://be.smart.test/", NOW)  # again: one job only
    assert await _jobs(db) == [(PEER, "pending", 0)]

    await worker.run_once(NOW)
    await worker.run_once(NOW)  # fan-out of the Follow

    assert await _jobs(db) == [(PEER, "done", 1)]
    async with db.session() as session:
        follow = (await session.scalars(select(Follow))).one()
        sent = (await session.scalars(select(Activity).where(Activity.uri == follow.uri))).one()
        inboxes = (await session.scalars(select(Delivery.inbox_uri))).all()
    assert (follow.follower_id, follow.state) == (node.id, "pending")
    assert (sent.activity_type, sent.document["object"]) == ("Follow", PEER)
    assert list(inboxes) == ["https://be.smart.test/inbox"]


async def test_an_unreachable_peer_is_tried_again_later(db, world) -> None:
    worker, fediverse, _ = world
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)

    await worker.run_once(NOW)  # the peer's actor answers 404 for now

    [(uri, state, attempts)] = await _jobs(db)
    assert (uri, state, attempts) == (PEER, "pending", 1)
    async with db.session() as session:
        assert (await session.scalars(select(Follow))).all() == []
        job = (await session.scalars(select(Job).where(Job.kind == FOLLOW_PEER))).one()
    assert job.run_at > NOW and job.last_error

    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test")
    await worker.run_once(job.run_at + timedelta(seconds=1))
    assert await _jobs(db) == [(PEER, "done", 2)]


async def test_a_peer_removed_before_the_job_runs_is_not_followed(db, world) -> None:
    worker, fediverse, _ = world
    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
    async with db.session() as session, session.begin():
        assert await remove_peer(session, "be.smart.test")

    await worker.run_once(NOW)

    assert await _jobs(db) == [(PEER, "done", 1)]
    assert fediverse.fetched() == []
