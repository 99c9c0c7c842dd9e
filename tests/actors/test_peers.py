"""Trusted peers: adding one makes our node actor follow the peer's node actor, through a
worker job that waits out an unreachable peer and does nothing once the peer is removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peers import FOLLOW_PEER, add_peer, remove_peer
from smartnode.actors.records import node_uris
from smartnode.storage.models import Activity, Delivery, Follow, InboxMessage, Job, Peer
from smartnode.worker import Worker
from tests.inbox import Fediverse, follow_activity

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


async def test_a_peer_removed_before_the_job_runs_is_not_followed(db, settings, world) -> None:
    worker, fediverse, _ = world
    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
    async with db.session() as session, session.begin():
        assert await remove_peer(session, "be.smart.test", node_uris(settings), NOW)

    await worker.run_once(NOW)

    assert await _jobs(db) == [(PEER, "done", 1)]
    assert fediverse.fetched() == []


async def _activities(db, kind: str) -> list[Activity]:
    async with db.session() as session:
        rows = await session.scalars(select(Activity).where(Activity.activity_type == kind))
        return list(rows.all())


async def _inboxes(db, activity: Activity) -> list[str]:
    async with db.session() as session:
        query = select(Delivery.inbox_uri).where(Delivery.activity_id == activity.id)
        return list((await session.scalars(query)).all())


async def _received(db, settings, body: dict) -> None:
    """An activity stored as the inbox edge stores a verified one; the worker dispatches it."""
    async with db.session() as session, session.begin():
        session.add(
            InboxMessage(
                activity_uri=body["id"], inbox=f"{settings.base_url}/inbox",
                actor_uri=body["actor"], activity_type=body["type"], body=body,
                received_at=NOW, state="pending", run_at=NOW, attempts=0,
            )
        )  # fmt: skip


async def test_removing_a_peer_ends_the_follows_both_ways(db, settings, world) -> None:
    worker, fediverse, node = world
    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
    await worker.run_once(NOW)  # our node actor follows the peer's
    theirs = follow_activity(PEER, node.uri, "https://be.smart.test/activities/f1")
    await _received(db, settings, theirs)
    await worker.run_once(NOW)  # and the peer's follow of ours is accepted
    async with db.session() as session:
        states = (await session.scalars(select(Follow.state).order_by(Follow.id))).all()
        assert list(states) == ["pending", "accepted"]
        ours = (await session.scalars(select(Follow).where(Follow.follower_id == node.id))).one()
        sent_follow = (
            await session.scalars(select(Activity).where(Activity.uri == ours.uri))
        ).one()

    async with db.session() as session, session.begin():
        assert await remove_peer(session, "BE.smart.test", node_uris(settings), NOW)
    await worker.run_once(NOW)  # fan-out of the Undo and the Reject

    async with db.session() as session:
        assert (await session.scalars(select(Follow))).all() == []
        assert (await session.scalars(select(Peer))).all() == []
    [undo] = await _activities(db, "Undo")
    assert (undo.actor_id, undo.document["to"]) == (node.id, [PEER])
    assert undo.document["object"] == {
        k: v for k, v in sent_follow.document.items() if k != "@context"}  # fmt: skip
    assert undo.document["object"]["id"] == ours.uri
    [reject] = await _activities(db, "Reject")
    assert (reject.actor_id, reject.document["to"]) == (node.id, [PEER])
    assert reject.document["object"] == {
        "id": theirs["id"], "type": "Follow", "actor": PEER, "object": node.uri}  # fmt: skip
    assert await _inboxes(db, undo) == await _inboxes(db, reject) == ["https://be.smart.test/inbox"]

    async with db.session() as session, session.begin():  # again: nothing left to end
        assert not await remove_peer(session, "be.smart.test", node_uris(settings), NOW)
    assert len(await _activities(db, "Undo")) == len(await _activities(db, "Reject")) == 1


async def test_removing_a_peer_not_followed_either_way_sends_nothing(db, settings, world) -> None:
    _, _, _ = world
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
    async with db.session() as session, session.begin():
        assert await remove_peer(session, "be.smart.test", node_uris(settings), NOW)
    assert await _activities(db, "Undo") == [] and await _activities(db, "Reject") == []
    async with db.session() as session:
        assert (await session.scalars(select(Peer))).all() == []
