"""Peering in either order, seen from one node with the other faked at the transport: a peer's
Follow that came before we trusted it is accepted when we add the peer; `peer add` again sends
our pending Follow again; the peer's Accept, Reject, Follow and Undo move the two states that
`peer list` shows, each change logged once."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peering import BACKFILL_PEER, FOLLOW_PEER
from smartnode.actors.peers import add_peer
from smartnode.actors.records import node_uris
from smartnode.storage.models import Activity, Delivery, Follow, InboxMessage, Job, Peer
from smartnode.worker import Worker
from tests.inbox import AS, Fediverse, follow_activity

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BE = "https://be.smart.test"
PEER = f"{BE}/actor"


@pytest.fixture
async def world(db, settings):
    async with db.session() as session, session.begin():
        node = await ensure_node_actor(session, settings, NOW)
    fediverse = Fediverse()
    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test")
    worker = Worker(
        settings, db, fediverse.fetcher(settings), signer=node_signer(node, settings),
        deliverer=None, rng=random.Random(3),
    )  # fmt: skip
    return worker, node


async def receive(db, settings, worker: Worker, body: dict, now: datetime) -> None:
    """Store a verified activity as the inbox edge does; the worker processes it."""
    async with db.session() as session, session.begin():
        session.add(
            InboxMessage(
                activity_uri=body["id"], inbox=f"{settings.base_url}/inbox",
                actor_uri=body["actor"], activity_type=body["type"], body=body,
                received_at=now, state="pending", run_at=now, attempts=0,
            )
        )  # fmt: skip
    await worker.run_once(now)


def answer(kind: str, follow_uri: str, serial: int) -> dict:
    return {"@context": AS, "id": f"{BE}/activities/{kind.lower()}-{serial}", "type": kind,
            "actor": PEER, "object": follow_uri}  # fmt: skip


async def add(db, settings, now: datetime = NOW) -> None:
    """`smartnode peer add https://be.smart.test` (the CLI passes the node's URIs)."""
    async with db.session() as session, session.begin():
        await add_peer(session, BE, now, uris=node_uris(settings))


async def peer_row(db) -> Peer:
    async with db.session() as session:
        return (await session.scalars(select(Peer))).one()


async def sent(db, kind: str) -> list[Activity]:
    async with db.session() as session:
        query = select(Activity).where(Activity.activity_type == kind).order_by(Activity.id)
        return list((await session.scalars(query)).all())


async def follows(db, node_id: int) -> dict[str, tuple[str, str | None]]:
    """'ours' / 'theirs' → (state, id) of the follows between the node actors."""
    async with db.session() as session:
        rows = (await session.scalars(select(Follow))).all()
    return {("ours" if r.follower_id == node_id else "theirs"): (r.state, r.uri) for r in rows}


async def jobs(db, kind: str) -> list[Job]:
    async with db.session() as session:
        return list((await session.scalars(select(Job).where(Job.kind == kind))).all())


async def test_a_peer_follow_that_came_first_is_accepted_when_we_add_the_peer_later(
    db, settings, world
) -> None:
    worker, node = world
    theirs = {**follow_activity(PEER, node.uri, f"{BE}/activities/f1"), "published": "x"}
    await receive(db, settings, worker, theirs, NOW)  # be added us; we do not trust it yet
    assert (await follows(db, node.id))["theirs"] == ("pending", theirs["id"])
    assert await sent(db, "Accept") == []

    later = NOW + timedelta(hours=1)
    await add(db, settings, later)

    assert (await follows(db, node.id))["theirs"] == ("accepted", theirs["id"])
    [accept] = await sent(db, "Accept")
    assert accept.document["to"] == [PEER]
    assert accept.document["object"] == {k: v for k, v in theirs.items() if k != "@context"}
    peer = await peer_row(db)
    assert (peer.theirs_state, peer.theirs_changed_at) == ("accepted", later)
    await worker.run_once(later)  # the Accept is fanned out, and our own Follow sent
    await worker.run_once(later)  # which is fanned out in turn
    async with db.session() as session:
        inboxes = (await session.scalars(select(Delivery.inbox_uri))).all()
    assert sorted(inboxes) == [f"{BE}/inbox", f"{BE}/inbox"]
    assert (await follows(db, node.id))["ours"][0] == "pending"
    assert len(await sent(db, "Accept")) == 1  # accepted once, not again by the job


async def test_a_config_peer_gets_its_waiting_follow_accepted_by_the_job(
    db, settings, world
) -> None:
    worker, node = world
    theirs = follow_activity(PEER, node.uri, f"{BE}/activities/f1")
    await receive(db, settings, worker, theirs, NOW)
    async with db.session() as session, session.begin():
        await add_peer(session, BE, NOW)  # SMARTNODE_TRUSTED_PEERS at start-up: no URIs
    assert await sent(db, "Accept") == []
    await worker.run_once(NOW)
    [accept] = await sent(db, "Accept")
    assert accept.document["object"]["id"] == theirs["id"]
    assert (await peer_row(db)).theirs_state == "accepted"


async def test_peer_add_again_sends_our_pending_follow_again_with_a_new_id(
    db, settings, world
) -> None:
    worker, node = world
    await add(db, settings)
    await worker.run_once(NOW)
    [first] = await sent(db, "Follow")
    later = NOW + timedelta(minutes=5)

    await add(db, settings, later)

    first_again, second = await sent(db, "Follow")
    assert first_again.uri == first.uri and second.uri != first.uri
    assert second.document["object"] == PEER and second.document["to"] == [PEER]
    assert (await follows(db, node.id))["ours"] == ("pending", second.uri)
    [job] = await jobs(db, FOLLOW_PEER)
    assert (job.state, job.run_at, job.attempts) == ("pending", later, 0)  # from the start
    await worker.run_once(later)  # fan-out: the new Follow reaches the peer's inbox
    async with db.session() as session:
        query = select(Delivery.inbox_uri).where(Delivery.activity_id == second.id)
        assert (await session.scalars(query)).all() == [f"{BE}/inbox"]


async def test_the_job_sends_a_delivered_but_unanswered_follow_again_and_waits_on_failures(
    db, settings, world
) -> None:
    worker, node = world
    await add(db, settings)
    await worker.run_once(NOW)
    await worker.run_once(NOW)  # the Follow's delivery row
    assert len(await sent(db, "Follow")) == 1
    async with db.session() as session, session.begin():
        delivery = (await session.scalars(select(Delivery))).one()
        delivery.state, delivery.attempts = "pending", 2
        delivery.last_error = "ConnectError: connection refused"
    [job] = await jobs(db, FOLLOW_PEER)
    await worker.run_once(job.run_at)
    assert len(await sent(db, "Follow")) == 1  # not delivered yet: no second Follow
    peer = await peer_row(db)
    assert peer.ours_state == "unreachable" and "connection refused" in peer.last_error

    async with db.session() as session, session.begin():
        delivery = (await session.scalars(select(Delivery))).one()
        delivery.state, delivery.delivered_at = "done", NOW
    [job] = await jobs(db, FOLLOW_PEER)
    await worker.run_once(job.run_at)
    _, second = await sent(db, "Follow")  # delivered, unanswered: sent again
    assert (await follows(db, node.id))["ours"] == ("pending", second.uri)
    assert (await peer_row(db)).ours_state == "pending"

    [job] = await jobs(db, FOLLOW_PEER)
    await receive(db, settings, worker, answer("Accept", second.uri, 1), job.run_at)
    assert (await follows(db, node.id))["ours"][0] == "accepted"
    await worker.run_once(job.run_at)
    assert [j.state for j in await jobs(db, FOLLOW_PEER)] == ["done"]


async def test_their_accept_makes_ours_accepted_and_starts_a_backfill(db, settings, world) -> None:
    worker, _ = world
    await add(db, settings)
    await worker.run_once(NOW)
    [follow] = await sent(db, "Follow")
    assert await jobs(db, BACKFILL_PEER) == []

    await receive(db, settings, worker, answer("Accept", follow.uri, 1), NOW)

    peer = await peer_row(db)
    assert (peer.ours_state, peer.ours_changed_at) == ("accepted", NOW)
    assert [(j.payload, j.state) for j in await jobs(db, BACKFILL_PEER)] == [
        ({"actor_uri": PEER}, "done")
    ]  # fmt: skip  (the worker ran it: nothing served)
    await receive(db, settings, worker, answer("Accept", follow.uri, 2), NOW)  # again: ignored
    assert len(await jobs(db, BACKFILL_PEER)) == 1


async def test_a_reject_stops_our_follow_until_the_peer_follows_us_anew(
    db, settings, world
) -> None:
    worker, node = world
    await add(db, settings)
    await worker.run_once(NOW)
    [follow] = await sent(db, "Follow")

    await receive(db, settings, worker, answer("Reject", follow.uri, 1), NOW)

    assert "ours" not in await follows(db, node.id)
    assert (await peer_row(db)).ours_state == "refused"
    [job] = await jobs(db, FOLLOW_PEER)
    await worker.run_once(job.run_at)
    assert [j.state for j in await jobs(db, FOLLOW_PEER)] == ["done"]  # refused: it stops
    assert len(await sent(db, "Follow")) == 1

    later = NOW + timedelta(hours=2)  # its operator adds us again: its Follow comes
    await receive(db, settings, worker, follow_activity(PEER, node.uri, f"{BE}/f2"), later)

    peer = await peer_row(db)
    assert (peer.theirs_state, peer.ours_state) == ("accepted", "pending")
    assert len(await sent(db, "Follow")) == 2  # the job ran at once and asked again
    assert (await follows(db, node.id))["ours"][0] == "pending"


async def test_their_new_follow_while_ours_waits_makes_our_job_run_now(db, settings, world) -> None:
    worker, node = world
    await add(db, settings)
    await worker.run_once(NOW)
    [job] = await jobs(db, FOLLOW_PEER)
    assert job.run_at > NOW

    await receive(db, settings, worker, follow_activity(PEER, node.uri, f"{BE}/f1"), NOW)

    [job] = await jobs(db, FOLLOW_PEER)
    assert job.attempts == 1 and job.run_at > NOW  # it ran again at once (and waits anew)
    assert (await peer_row(db)).theirs_state == "accepted"


async def test_their_undo_makes_their_side_not_asked(db, settings, world) -> None:
    worker, node = world
    await add(db, settings)
    theirs = follow_activity(PEER, node.uri, f"{BE}/f1")
    await receive(db, settings, worker, theirs, NOW)
    assert (await peer_row(db)).theirs_state == "accepted"
    undo = {"@context": AS, "id": f"{BE}/undo-1", "type": "Undo", "actor": PEER, "object": theirs}
    await receive(db, settings, worker, undo, NOW + timedelta(minutes=1))
    peer = await peer_row(db)
    assert (peer.theirs_state, peer.theirs_changed_at) == ("not asked", NOW + timedelta(minutes=1))


async def test_every_change_of_state_is_logged_in_one_line(db, settings, world, caplog) -> None:
    worker, node = world
    caplog.set_level(logging.INFO, logger="smartnode.peers")
    await add(db, settings)
    await worker.run_once(NOW)
    [follow] = await sent(db, "Follow")
    await receive(db, settings, worker, answer("Accept", follow.uri, 1), NOW)
    await receive(db, settings, worker, follow_activity(PEER, node.uri, f"{BE}/f1"), NOW)
    await receive(db, settings, worker, answer("Accept", follow.uri, 2), NOW)  # no change

    lines = [r.getMessage() for r in caplog.records if r.name == "smartnode.peers"]
    assert [line for line in lines if "->" in line] == [
        "peer be.smart.test: our follow of its node actor pending -> accepted (it sent Accept)",
        "peer be.smart.test: its follow of our node actor not asked -> accepted (it sent Follow)",
    ]
    assert any("trusted" in line for line in lines)
