"""Per-host behaviour of delivery: double-knock, breaker, concurrency cap, dead hosts, and
hosts marked unavailable after failing on seven distinct days."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web

from smartnode.config import Settings
from smartnode.federation.delivery import Breaker
from smartnode.outbox.deliver import Deliverer, DeliveryOptions
from tests.conftest import make_member
from tests.outbox.receivers import (
    NOW,
    Received,
    Receiver,
    SilentServer,
    deliveries,
    host_row,
    loopback,
    queue_activity,
)

WAIT_ALL = DeliveryOptions(straggler_wait=None, timeout=5.0)


@pytest.fixture
def private_ok(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_addresses": True})


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


@pytest.fixture
async def receiver(anna) -> AsyncIterator[Receiver]:
    server = Receiver(anna.public_key_pem)
    await server.start()
    yield server
    await server.stop()


def worker(db, settings: Settings, **options: object) -> Deliverer:
    breaker = options.pop("breaker", None)
    chosen = DeliveryOptions(**{"straggler_wait": None, "timeout": 5.0, **options})  # type: ignore[arg-type]
    return Deliverer(db, settings, options=chosen, resolver=loopback, breaker=breaker)  # type: ignore[arg-type]


async def test_a_host_that_refuses_cavage_is_learned_as_rfc9421(
    db, settings, private_ok, anna, receiver
) -> None:
    def rfc9421_only(seen: Received) -> web.Response:
        return web.Response(status=202 if seen.scheme == "rfc9421" else 401)

    receiver.answers["gts.test"] = rfc9421_only
    await queue_activity(db, settings, anna, [receiver.url("gts.test")])
    deliverer = worker(db, private_ok)
    try:
        assert await deliverer.run_once(NOW) == 1
        assert [r.scheme for r in receiver.received] == ["cavage", "rfc9421"]
        stored = await host_row(db, receiver.server("gts.test"))
        assert stored is not None and stored.supports_rfc9421 is True
        row = (await deliveries(db))[receiver.url("gts.test")]
        assert (row.state, row.attempts, row.last_status) == ("done", 1, 202)
    finally:
        await deliverer.aclose()
    await queue_activity(db, settings, anna, [receiver.url("gts.test", "/users/x/inbox")])
    another = worker(db, private_ok)  # another worker process: learns it from the database
    try:
        assert await another.run_once(NOW) == 1
    finally:
        await another.aclose()
    assert [r.scheme for r in receiver.received] == ["cavage", "rfc9421", "rfc9421"]
    assert "content-digest" in {k.lower() for k in receiver.received[-1].headers}


async def test_an_open_breaker_stops_requests_to_its_host(
    db, settings, private_ok, anna, receiver
) -> None:
    receiver.answers["down.test"] = 503
    inboxes = [receiver.url("down.test", f"/users/{i}/inbox") for i in range(5)]
    await queue_activity(db, settings, anna, inboxes)
    deliverer = worker(db, private_ok, per_host=1, breaker=Breaker(threshold=2))
    try:
        assert await deliverer.run_once(NOW) == 5
        assert len(receiver.received) == 2  # then the breaker opened
        rows = await deliveries(db)
        tried = [rows[i] for i in inboxes if rows[i].last_status == 503]
        held = [rows[i] for i in inboxes if rows[i].last_status is None]
        assert len(tried) == 2 and len(held) == 3
        stored = await host_row(db, receiver.server("down.test"))
        assert stored is not None and stored.breaker_until is not None
        assert all(r.state == "pending" and r.attempts == 0 for r in held)
        assert all(r.run_at == stored.breaker_until for r in held)
        assert "breaker" in (held[0].last_error or "")
        await queue_activity(db, settings, anna, [receiver.url("down.test", "/late/inbox")])
        assert await deliverer.run_once(NOW + timedelta(seconds=1)) == 0  # not even claimed
    finally:
        await deliverer.aclose()
    fresh = worker(db, private_ok)  # another process: the breaker end is in the database
    try:
        assert await fresh.run_once(NOW + timedelta(seconds=1)) == 1
    finally:
        await fresh.aclose()
    assert len(receiver.received) == 2
    late = (await deliveries(db))[receiver.url("down.test", "/late/inbox")]
    assert late.state == "pending" and late.attempts == 0 and late.run_at > NOW


async def test_concurrent_requests_to_one_host_stay_under_the_cap(
    db, settings, private_ok, anna, receiver
) -> None:
    async def slow(_seen: Received) -> web.Response:
        await asyncio.sleep(0.05)
        return web.Response(status=202)

    receiver.answers["big.test"] = slow
    receiver.answers["small.test"] = slow
    inboxes = [receiver.url("big.test", f"/users/{i}/inbox") for i in range(20)]
    await queue_activity(db, settings, anna, [*inboxes, receiver.url("small.test")])
    deliverer = worker(db, private_ok, per_host=3)
    try:
        assert await deliverer.run_once(NOW) == 21
    finally:
        await deliverer.aclose()
    assert len(receiver.on("big.test")) == 20
    assert receiver.peak["big.test"] == 3
    assert receiver.peak["small.test"] == 1
    assert all(r.state == "done" for r in (await deliveries(db)).values())


async def test_a_host_that_never_answers_does_not_hold_up_the_others(
    db, settings, private_ok, anna, receiver
) -> None:
    silent = SilentServer(receiver.events)
    await silent.start()
    dead = f"http://dead.test:{silent.port}/inbox"
    alive = [receiver.url(f"h{i}.test") for i in range(5)]
    await queue_activity(db, settings, anna, [dead, *alive])
    deliverer = worker(db, private_ok, timeout=1.0)
    try:
        assert await deliverer.run_once(NOW) == 6
    finally:
        await deliverer.aclose()
        await silent.stop()
    rows = await deliveries(db)
    assert all(rows[u].state == "done" for u in alive)
    assert rows[dead].state == "pending" and "no answer within 1 s" in (rows[dead].last_error or "")
    closed = receiver.events.index("silent closed")  # when our client gave up on it
    received = [i for i, e in enumerate(receiver.events) if e.startswith("received")]
    assert len(received) == 5 and all(i < closed for i in received)
    assert silent.accepted == 1


async def test_an_unavailable_host_after_seven_failing_days_is_revived_by_a_success(
    db, settings, private_ok, anna, receiver
) -> None:
    receiver.answers["flaky.test"] = 503
    deliverer = worker(db, private_ok)
    try:
        for day in range(7):
            at = receiver.verify_at = NOW + timedelta(days=day)
            await queue_activity(db, settings, anna, [receiver.url("flaky.test")], at=at)
            assert await deliverer.run_once(at) >= 1  # today's row and any retry due
            stored = await host_row(db, receiver.server("flaky.test"))
            assert stored is not None and len(set(stored.failure_days)) == day + 1
            assert stored.unavailable is (day == 6)
        back = receiver.verify_at = NOW + timedelta(days=8)
        del receiver.answers["flaky.test"]
        await queue_activity(db, settings, anna, [receiver.url("flaky.test")], at=back)
        assert await deliverer.run_once(back) >= 1
    finally:
        await deliverer.aclose()
    stored = await host_row(db, receiver.server("flaky.test"))
    assert stored is not None
    assert (stored.unavailable, stored.failure_days, stored.last_success_at) == (False, [], back)
    assert stored.breaker_until is None
    assert receiver.on("flaky.test")[-1].scheme == "cavage"
