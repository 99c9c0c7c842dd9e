"""The worker round: inbox messages are dispatched once, fan-outs expand, failures retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.records import node_uris
from smartnode.federation.fetch import Fetcher
from smartnode.federation.vocab import PUBLIC
from smartnode.inbox.lane import BATCH
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Delivery, Follow, Host, InboxMessage, Job
from smartnode.worker import EMBED_YIELDS_AT_MOST, Worker
from tests.conftest import make_member
from tests.inbox import AS, Fediverse, follow_activity

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ALICE = "https://mastodon.example/users/alice"


async def _store(db, body: dict, inbox: str) -> None:
    async with db.session() as s, s.begin():
        s.add(InboxMessage(
            activity_uri=body["id"], inbox=inbox, actor_uri=body["actor"],
            activity_type=body["type"], body=body, received_at=NOW, state="pending",
            run_at=NOW, attempts=0,
        ))  # fmt: skip


@pytest.fixture
async def worker(db, settings):
    world = Fediverse()
    world.actor(ALICE)
    async with db.session() as s, s.begin():
        node = await ensure_node_actor(s, settings, NOW)
    fetcher = Fetcher(settings, transport=httpx.MockTransport(world.handle))
    yield Worker(settings, db, fetcher, signer=node_signer(node, settings), deliverer=None), world
    await fetcher.aclose()


async def test_follow_is_processed_once_and_its_accept_fans_out(db, settings, worker) -> None:
    work, world = worker
    anna = await make_member(db, settings, "anna")
    await _store(db, follow_activity(ALICE, anna.uri), f"{anna.uri}/inbox")
    async with db.session() as s, s.begin():
        s.add(Host(host="mastodon.example", unavailable=True, failure_days=["2026-11-01"],
                   updated_at=NOW))  # fmt: skip
    first = await work.run_once(NOW)
    again = await work.run_once(NOW + timedelta(minutes=10))
    assert (first.inbox, first.fanout) == (1, 1)
    assert (again.inbox, again.fanout) == (0, 0)
    async with db.session() as s:
        follows = (await s.scalars(select(Follow))).all()
        accept = await s.scalar(select(Activity).where(Activity.activity_type == "Accept"))
        deliveries = (await s.scalars(select(Delivery))).all()
        message = await s.scalar(select(InboxMessage))
        host = await s.get(Host, "mastodon.example")
    assert [(f.state, f.uri) for f in follows] == [("accepted", f"{ALICE}#follows/1")]
    assert accept is not None and accept.document["object"]["type"] == "Follow"
    assert [d.inbox_uri for d in deliveries] == ["https://mastodon.example/inbox"]
    assert message is not None and message.state == "done" and message.attempts == 1
    assert host is not None and host.unavailable is False  # a signed request revived it
    key_fetch = [r for r in world.requests if str(r.url) == ALICE]
    assert key_fetch and "signature" in key_fetch[0].headers


async def test_transient_fetch_failure_retries_later_then_succeeds(db, settings, worker) -> None:
    work, world = worker
    anna = await make_member(db, settings, "anna")
    bob = "https://slow.example/users/bob"
    world.serve(bob, {"error": "down"}, status=503)
    await _store(db, {"@context": AS, "id": f"{bob}#f", "type": "Follow", "actor": bob,
                      "object": anna.uri}, f"{anna.uri}/inbox")  # fmt: skip
    assert (await work.run_once(NOW)).inbox == 1
    async with db.session() as s:
        message = await s.scalar(select(InboxMessage))
        assert message is not None and message.state == "pending"
        assert message.run_at > NOW and "503" in (message.last_error or "")
        assert (await s.scalars(select(Follow))).all() == []
    world.actor(bob)
    later = message.run_at + timedelta(seconds=1)
    assert (await work.run_once(later)).inbox == 1
    async with db.session() as s:
        message = await s.scalar(select(InboxMessage))
        assert message is not None and message.state == "done"
        assert [f.state for f in (await s.scalars(select(Follow))).all()] == ["accepted"]


async def test_ignored_activities_are_done_with_their_reason(db, settings, worker) -> None:
    work, _ = worker
    like = {"@context": AS, "id": f"{ALICE}#like", "type": "Like", "actor": ALICE,
            "object": f"{settings.base_url}/notes/1"}  # fmt: skip
    await _store(db, like, f"{settings.base_url}/inbox")
    await work.run_once(NOW)
    async with db.session() as s:
        message = await s.scalar(select(InboxMessage))
        jobs = (await s.scalars(select(Job))).all()
    assert message is not None and message.state == "done" and message.last_error
    assert jobs == []


async def test_the_model_yields_to_an_inbox_backlog_but_not_for_ever(db, settings, worker) -> None:
    """Until a claim finds nothing due and nothing in flight, and from a claim of a quarter of
    a batch or more, the embedding lane waits, one batch at most every EMBED_YIELDS_AT_MOST; a
    short or empty claim in the middle of a drain does not end the wait."""
    w, _ = worker
    assert w.embedding_yields(0.0)  # a worker starting: the inbox first
    assert await w.process_inbox(NOW) == 0
    assert not w.embedding_yields(0.5)
    for n in range(BATCH + 1):
        body = {"@context": AS, "id": f"{ALICE}/likes/{n}", "type": "Like", "actor": ALICE,
                "object": f"{ALICE}/statuses/{n}"}  # fmt: skip
        await _store(db, body, f"{settings.base_url}/inbox")
    assert await w.process_inbox(NOW) == BATCH
    most = EMBED_YIELDS_AT_MOST.total_seconds()
    assert [w.embedding_yields(t) for t in (1.0, most, most + 1.0, most + 2.0)] == [
        True, True, False, True,
    ]  # fmt: skip
    anna = await make_member(db, settings, "anna")
    await _store(db, follow_activity(ALICE, anna.uri), f"{anna.uri}/inbox")
    assert await w.inbox.start(NOW) == 2  # a short claim: the drain goes on
    assert await w.inbox.start(NOW) == 0 and w.inbox.in_flight == 1  # the Follow
    assert w.embedding_yields(most + 3.0)  # nothing due, one message still in flight
    await w.inbox.wait_all()
    assert await w.process_inbox(NOW) == 0
    assert not w.embedding_yields(most + 4.0)
    async with db.session() as s:
        states = (await s.scalars(select(InboxMessage.state))).all()
    assert set(states) == {"done"} and len(states) == BATCH + 2


async def test_the_model_yields_while_the_outbox_lane_works(db, settings, worker) -> None:
    """A round of the outbox lane that did something (a fan-out, a delivery, a job) makes the
    embedding lane wait, as an inbox backlog does; an idle round lets it run."""
    w, _ = worker
    assert await w.process_inbox(NOW) == 0
    assert not w.embedding_yields(0.5)
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        await publish(s, node_uris(settings), anna, "Update", obj=anna.uri, to=[PUBLIC], now=NOW)
    assert (await w.run_outbox_once(NOW)).fanout == 1
    assert w.outbox_busy and w.embedding_yields(1.0)  # the fan-out ran: the model waits
    assert not (await w.run_outbox_once(NOW)).busy
    assert not w.outbox_busy and not w.embedding_yields(2.0)  # nothing left to do
    async with db.session() as s:
        assert (await s.scalars(select(Job.state))).all() == ["done"]
