"""Delivery to real loopback inboxes: signatures, outcomes by status, re-signing, the SSRF guard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import orjson
import pytest
from aiohttp import web
from sqlalchemy import select

from smartnode.config import Settings
from smartnode.federation.delivery import RETRY_AFTER_MAX
from smartnode.outbox.deliver import Deliverer, DeliveryOptions
from smartnode.storage.models import DeadInbox
from tests.conftest import make_member
from tests.outbox.receivers import (
    NOW,
    Receiver,
    SilentServer,
    deliveries,
    loopback,
    queue_activity,
)
from tests.servers import free_port

WAIT_ALL = DeliveryOptions(straggler_wait=None, timeout=5.0)


@pytest.fixture
def private_ok(settings: Settings) -> Settings:
    """Settings of a test node that may post to loopback (http allowed, private addresses)."""
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


@pytest.fixture
async def deliverer(db, private_ok) -> AsyncIterator[Deliverer]:
    worker = Deliverer(db, private_ok, options=WAIT_ALL, resolver=loopback)
    yield worker
    await worker.aclose()


async def test_delivery_is_signed_by_the_sender_and_verified_by_the_receiver(
    db, settings, anna, receiver, deliverer
) -> None:
    activity = await queue_activity(db, settings, anna, [receiver.url("mastodon.test")])
    assert await deliverer.run_once(NOW) == 1
    [seen] = receiver.received
    assert seen.scheme == "cavage" and seen.key_id == f"{anna.uri}#main-key"
    assert seen.headers["Content-Type"] == "application/activity+json"
    assert orjson.loads(seen.body) == activity.document
    assert 'headers="(request-target) host date digest content-type"' in seen.headers["Signature"]
    row = (await deliveries(db))[receiver.url("mastodon.test")]
    assert (row.state, row.last_status, row.attempts) == ("done", 202, 1)
    assert row.delivered_at == NOW and row.locked_until is None and row.last_error is None


async def test_each_status_sets_the_row_state(db, settings, anna, receiver, deliverer) -> None:
    nobody = f"http://refused.test:{free_port()}/inbox"

    def busy(_seen: object) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "3600"})

    receiver.answers.update({"gone.test": 410, "blocks.test": 403, "busy.test": busy})
    urls = [receiver.url(h) for h in ("ok.test", "gone.test", "blocks.test", "busy.test")]
    await queue_activity(db, settings, anna, [*urls, nobody])
    assert await deliverer.run_once(NOW) == 5
    rows = await deliveries(db)
    ok, gone, blocks, busy_row = (rows[u] for u in urls)
    assert (ok.state, ok.last_status) == ("done", 202)
    assert (gone.state, gone.last_status, gone.delivered_at) == ("gone", 410, None)
    assert (blocks.state, blocks.last_status) == ("failed", 403)
    assert (busy_row.state, busy_row.last_status) == ("pending", 503)
    assert NOW + timedelta(seconds=3600) <= busy_row.run_at <= NOW + RETRY_AFTER_MAX
    refused = rows[nobody]
    assert (refused.state, refused.last_status) == ("pending", None)
    assert refused.run_at > NOW and "connect" in (refused.last_error or "").lower()
    assert all(r.attempts == 1 and r.locked_until is None for r in rows.values())
    assert len(receiver.received) == 4
    async with db.session() as session:
        dead = (await session.scalars(select(DeadInbox.inbox_uri))).all()
    assert dead == [receiver.url("gone.test")]  # nothing more goes there until it shows life


async def test_a_retry_is_signed_again_with_a_fresh_date(
    db, settings, anna, receiver, deliverer
) -> None:
    answers = iter([503, 202])
    receiver.answers["flaky.test"] = lambda _seen: web.Response(status=next(answers))
    await queue_activity(db, settings, anna, [receiver.url("flaky.test")])
    await deliverer.run_once(NOW)
    row = (await deliveries(db))[receiver.url("flaky.test")]
    assert (row.state, row.attempts) == ("pending", 1)
    assert await deliverer.run_once(row.run_at - timedelta(seconds=1)) == 0  # not due yet
    assert await deliverer.run_once(row.run_at) == 1
    first, second = receiver.received
    assert first.headers["Date"] != second.headers["Date"]
    assert first.headers["Signature"] != second.headers["Signature"]
    assert first.scheme == second.scheme == "cavage"  # both verify (receiver window ±1 h)
    row = (await deliveries(db))[receiver.url("flaky.test")]
    assert (row.state, row.attempts, row.last_status) == ("done", 2, 202)


async def test_a_sender_without_a_key_fails_its_rows_without_a_request(
    db, settings, anna, receiver, deliverer
) -> None:
    from smartnode.storage.models import Actor

    async with db.session() as s, s.begin():
        stored = await s.get(Actor, anna.id)
        assert stored is not None
        stored.private_key_enc = None
    await queue_activity(db, settings, anna, [receiver.url("ok.test")])
    assert await deliverer.run_once(NOW) == 1
    row = (await deliveries(db))[receiver.url("ok.test")]
    assert row.state == "failed" and "signing key" in (row.last_error or "")
    assert receiver.received == []


async def test_the_address_guard_refuses_private_inboxes_before_connecting(
    db, settings, anna
) -> None:
    assert settings.allow_private_addresses is False
    events: list[str] = []
    listener = SilentServer(events)
    await listener.start()
    port = listener.port
    inboxes = [
        f"https://private.test:{port}/inbox",  # a name that resolves to 127.0.0.1
        f"https://127.0.0.1:{port}/inbox",  # an IP literal
        f"https://2130706433:{port}/inbox",  # the same address spelled as one number
        f"https://[::ffff:127.0.0.1]:{port}/inbox",  # IPv4-mapped IPv6
        f"http://public.test:{port}/inbox",  # plain http is for tests and the demo only
    ]
    await queue_activity(db, settings, anna, inboxes)
    worker = Deliverer(db, settings, options=WAIT_ALL, resolver=loopback)
    try:
        assert await worker.run_once(NOW) == len(inboxes)
    finally:
        await worker.aclose()
        await listener.stop()
    rows = await deliveries(db)
    for inbox in inboxes[:4]:
        assert rows[inbox].state == "failed", inbox
        assert "not a public address" in (rows[inbox].last_error or ""), rows[inbox].last_error
    assert "scheme" in (rows[inboxes[4]].last_error or "")
    assert listener.accepted == 0 and events == []


async def test_a_rotated_key_signs_the_next_delivery(
    db, settings, anna, receiver, deliverer
) -> None:
    from smartnode.federation.keys import encrypt_private_key, generate_rsa_keypair
    from smartnode.storage.models import Actor

    await queue_activity(db, settings, anna, [receiver.url("before.test")])
    await deliverer.run_once(NOW)
    private_pem, public_pem = generate_rsa_keypair()
    async with db.session() as s, s.begin():
        stored = await s.get(Actor, anna.id)
        assert stored is not None
        stored.private_key_enc = encrypt_private_key(private_pem, settings.secret())
        stored.public_key_pem = public_pem
    receiver.public_pem = public_pem
    await queue_activity(db, settings, anna, [receiver.url("after.test")])
    await deliverer.run_once(NOW)
    assert [(r.host, r.scheme) for r in receiver.received] == [
        ("before.test", "cavage"),
        ("after.test", "cavage"),
    ]
    assert (await deliveries(db))[receiver.url("after.test")].state == "done"


async def test_a_name_with_any_refused_address_is_refused_as_a_whole(
    db, settings, private_ok, anna, receiver
) -> None:
    from smartnode.federation.addresses import AddressPolicy

    async def two_addresses(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "127.0.0.2"] if host == "mixed.test" else ["127.0.0.1"]

    policy = AddressPolicy.with_blocked("127.0.0.2/32", allow_private=True)
    await queue_activity(db, settings, anna, [receiver.url("mixed.test"), receiver.url("ok.test")])
    worker = Deliverer(db, private_ok, options=WAIT_ALL, policy=policy, resolver=two_addresses)
    try:
        assert await worker.run_once(NOW) == 2
    finally:
        await worker.aclose()
    rows = await deliveries(db)
    mixed = rows[receiver.url("mixed.test")]
    assert mixed.state == "failed" and "blocked network 127.0.0.2/32" in (mixed.last_error or "")
    assert rows[receiver.url("ok.test")].state == "done"
    assert [r.host for r in receiver.received] == ["ok.test"]
