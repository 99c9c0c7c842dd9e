"""Trusted peers: adding one makes our node actor follow the peer's node actor, through a
worker job that waits out an unreachable peer with growing delays, runs again until the peer
answers, and does nothing once the peer is removed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event, insert, select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peer_follow_job import MAX_ATTEMPTS, follow_retry_delay
from smartnode.actors.peers import FOLLOW_PEER, add_peer, remove_peer
from smartnode.actors.records import node_uris
from smartnode.actors.remote import remote_actor_from_ap
from smartnode.storage.models import Activity, Actor, Delivery, Follow, InboxMessage, Job, Peer
from smartnode.worker import Worker
from tests.inbox import Fediverse, follow_activity

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PEER = "https://be.smart.test/actor"


class Network(Fediverse):
    """The fake fediverse, where whole hosts can be down (connection refused)."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in self.down:
            self.requests.append(request)
            raise httpx.ConnectError("connection refused", request=request)
        return super().handle(request)


@pytest.fixture
async def world(db, settings):
    async with db.session() as session, session.begin():
        node = await ensure_node_actor(session, settings, NOW)
    network = Network()
    worker = Worker(
        settings, db, network.fetcher(settings), signer=node_signer(node, settings),
        deliverer=None, rng=random.Random(7),
    )  # fmt: skip
    yield worker, network, node


async def _jobs(db) -> list[tuple[str, str, int]]:
    async with db.session() as session:
        rows = await session.scalars(select(Job).where(Job.kind == FOLLOW_PEER))
        return [(j.payload["actor_uri"], j.state, j.attempts) for j in rows.all()]


async def _job(db) -> Job:
    async with db.session() as session:
        return (await session.scalars(select(Job).where(Job.kind == FOLLOW_PEER))).one()


async def _peer(db) -> Peer:
    async with db.session() as session:
        return (await session.scalars(select(Peer))).one()


async def test_a_new_peer_is_followed_by_our_node_actor(db, world) -> None:
    worker, network, node = world
    network.actor(PEER, type="Application", preferredUsername="be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
        await add_peer(session, "https://be.smart.test/", NOW)  # again: one job only
    assert await _jobs(db) == [(PEER, "pending", 0)]

    await worker.run_once(NOW)
    await worker.run_once(NOW)  # fan-out of the Follow

    job = await _job(db)
    assert (job.state, job.attempts) == ("pending", 1)  # it looks again for the answer
    assert timedelta(seconds=30) <= job.run_at - NOW <= timedelta(seconds=37.5)
    async with db.session() as session:
        follow = (await session.scalars(select(Follow))).one()
        sent = (await session.scalars(select(Activity).where(Activity.uri == follow.uri))).one()
        inboxes = (await session.scalars(select(Delivery.inbox_uri))).all()
    assert (follow.follower_id, follow.state) == (node.id, "pending")
    assert (sent.activity_type, sent.document["object"]) == ("Follow", PEER)
    assert list(inboxes) == ["https://be.smart.test/inbox"]
    peer = await _peer(db)
    assert (peer.ours_state, peer.theirs_state, peer.last_error) == ("pending", "not asked", None)


async def test_an_unreachable_peer_is_tried_again_with_growing_delays(db, world) -> None:
    worker, network, _ = world
    network.down.add("be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)

    moment, delays = NOW, []
    for _ in range(4):
        await worker.run_once(moment)
        job = await _job(db)
        assert job.state == "pending" and job.run_at > moment
        delays.append(job.run_at - moment)
        moment = job.run_at

    for delay, seconds in zip(delays, (30, 60, 120, 240), strict=True):  # doubling, jittered
        assert timedelta(seconds=seconds) <= delay <= timedelta(seconds=seconds * 1.25)
    peer = await _peer(db)
    assert peer.ours_state == "unreachable" and "could not fetch its node actor" in peer.last_error
    assert "ConnectError" in peer.last_error
    assert peer.last_error_at == peer.ours_changed_at + sum(delays[:-1], timedelta())
    async with db.session() as session:
        assert (await session.scalars(select(Follow))).all() == []

    network.down.clear()  # the peer comes up
    network.actor(PEER, type="Application", preferredUsername="be.smart.test")
    await worker.run_once(moment)
    async with db.session() as session:
        follow = (await session.scalars(select(Follow))).one()
    assert follow.state == "pending" and (await _peer(db)).ours_state == "pending"
    await _received(db, worker.settings, {
        "id": "https://be.smart.test/activities/a1", "type": "Accept", "actor": PEER,
        "object": follow.uri,
    })  # fmt: skip
    await worker.run_once(moment)
    assert (await _peer(db)).ours_state == "accepted"
    job = await _job(db)
    await worker.run_once(job.run_at)
    assert (await _job(db)).state == "done"  # accepted: the job ends


def test_the_retry_delays_double_from_half_a_minute_to_an_hour_with_bounded_jitter() -> None:
    rng = random.Random(1)
    delays = [follow_retry_delay(attempt, rng) for attempt in range(1, MAX_ATTEMPTS + 1)]
    assert all(timedelta(seconds=30) <= d <= timedelta(minutes=75) for d in delays)
    assert follow_retry_delay(8, random.Random(2)) >= timedelta(hours=1)  # the cap, then jitter
    jittered = {follow_retry_delay(3, random.Random(seed)) for seed in range(20)}
    assert len(jittered) > 1 and all(timedelta(minutes=2) <= d <= timedelta(minutes=2.5)
                                     for d in jittered)  # fmt: skip
    assert sum(delays, timedelta()) > timedelta(days=6)  # it keeps trying for about a week


async def test_the_job_gives_up_after_its_last_attempt(db, world) -> None:
    worker, network, _ = world
    network.down.add("be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
        job = (await session.scalars(select(Job).where(Job.kind == FOLLOW_PEER))).one()
        job.attempts = MAX_ATTEMPTS - 1
    await worker.run_once(NOW)
    assert (await _job(db)).state == "done"
    assert "gave up after" in (await _peer(db)).last_error


async def test_a_peer_removed_before_the_job_runs_is_not_followed(db, settings, world) -> None:
    worker, network, _ = world
    network.actor(PEER, type="Application", preferredUsername="be.smart.test")
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
    async with db.session() as session, session.begin():
        assert await remove_peer(session, "be.smart.test", node_uris(settings), NOW)

    await worker.run_once(NOW)

    assert await _jobs(db) == [(PEER, "done", 1)]
    assert network.fetched() == []


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
    worker, network, node = world
    network.actor(PEER, type="Application", preferredUsername="be.smart.test")
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


async def test_this_node_cannot_be_its_own_peer(db, settings, world) -> None:
    from smartnode.errors import ValidationFailed

    async with db.session() as session, session.begin():
        with pytest.raises(ValidationFailed, match="this node itself"):
            await add_peer(session, settings.base_url, NOW, uris=node_uris(settings))


async def test_a_peer_actor_stored_meanwhile_by_the_inbox_does_not_fail_the_job(
    db, settings, world
) -> None:
    """Both operators add each other at once: the peer's Follow reaches our inbox, which
    stores the peer's node actor just as our follow job stores the copy it fetched."""
    worker, network, _ = world
    doc = network.actor(PEER, type="Application", preferredUsername="be.smart.test")
    row = remote_actor_from_ap(doc)

    def another_writer_first(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO actors") and not raced:
            raced.append(True)  # the inbox's own connection commits the same actor first
            with conn.engine.connect() as other:
                other.execute(insert(Actor).values(
                    uri=row.uri, local=False, kind="remote", ap_type=row.ap_type,
                    username=row.username, domain=row.domain, name=row.name,
                    inbox_uri=row.inbox_uri, public_key_pem=row.public_key_pem,
                    key_id=row.key_id, created_at=NOW, updated_at=NOW,
                ))  # fmt: skip
                other.commit()

    raced: list[bool] = []
    async with db.session() as session, session.begin():
        await add_peer(session, "https://be.smart.test", NOW)
    event.listen(db.engine.sync_engine, "before_cursor_execute", another_writer_first)
    try:
        await worker.run_once(NOW)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", another_writer_first)

    assert raced
    job = await _job(db)
    assert job.state == "pending" and job.attempts == 1
    assert job.last_error == "Follow sent; waiting for its answer"
    async with db.session() as session:
        assert (await session.scalars(select(Follow))).one().state == "pending"
    assert (await _peer(db)).ours_state == "pending"
