"""Blocks between servers on the wire: a member's block of a remote account reaches that
account's inbox (a real loopback server that checks our signature) as Mastodon's Block, with
the Reject of its follow first and the Undo(Block) after an unblock; a remote actor's Block
POSTed signed to our inbox is handled by the worker and shows as `blocked_by`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.outbox.deliver import Deliverer, DeliveryOptions
from smartnode.storage.models import Activity, Actor, Follow
from smartnode.storage.models_blocks import AccountBlock
from smartnode.worker import Worker
from tests.content import add_follower, node_client
from tests.inbox import AS, Fediverse
from tests.inbox.test_receive import post as signed_post
from tests.mastodon import bearer
from tests.outbox.receivers import Receiver, loopback

PRIVATE, PUBLIC_PEM = generate_rsa_keypair()
CARL = "https://social.example/users/carl"


@pytest.fixture
async def receiver(anna) -> AsyncIterator[Receiver]:
    server = Receiver(anna.public_key_pem, verify_at=datetime.now(UTC))
    await server.start()
    yield server
    await server.stop()


async def _send_everything(db, settings) -> None:
    """Act: the worker expands the fan-out and delivers, over real sockets to 127.0.0.1."""
    private_ok = settings.model_copy(update={"allow_private_addresses": True})
    deliverer = Deliverer(db, private_ok, options=DeliveryOptions(straggler_wait=None, timeout=5.0),
                          resolver=loopback)  # fmt: skip
    async with Fediverse().fetcher(private_ok) as fetcher:
        worker = Worker(private_ok, db, fetcher, signer=None, deliverer=deliverer)
        try:
            for _ in range(3):
                await worker.run_once(datetime.now(UTC))
        finally:
            await worker.aclose()


async def test_a_block_of_a_remote_account_is_delivered_to_its_inbox(
    api, db, settings, anna, receiver
) -> None:
    alice_uri = receiver.url("mastodon.test", "/users/alice")
    alice = await add_follower(db, anna, alice_uri)  # her inbox is alice_uri + "/inbox"
    async with db.session() as s, s.begin():
        row = await s.scalar(select(Follow))
        assert row is not None
        row.uri = f"{alice_uri}#follows/1"
    headers = await bearer(db, anna, "write:blocks")
    blocked = await api.post(f"/api/v1/accounts/{alice.id}/block", headers=headers)
    assert blocked.status_code == 200, blocked.text
    assert (blocked.json()["blocking"], blocked.json()["followed_by"]) == (True, False)
    await _send_everything(db, settings)
    got = [json.loads(r.body) for r in receiver.on("mastodon.test")]
    assert all(r.key_id == f"{anna.uri}#main-key" for r in receiver.received)
    by_type = {d["type"]: d for d in got}  # sent in one transaction, delivered side by side
    assert sorted(by_type) == ["Block", "Reject"] and len(got) == 2
    reject, block = by_type["Reject"], by_type["Block"]
    assert reject["object"] == {"id": f"{alice_uri}#follows/1", "type": "Follow",
                                "actor": alice_uri, "object": anna.uri}  # fmt: skip
    assert (block["actor"], block["object"], block["to"]) == (anna.uri, alice_uri, [alice_uri])
    async with db.session() as s:
        [kept] = (await s.scalars(select(AccountBlock))).all()
    assert kept.uri == block["id"]
    unblocked = await api.post(f"/api/v1/accounts/{alice.id}/unblock", headers=headers)
    assert unblocked.json()["blocking"] is False
    await _send_everything(db, settings)
    undo = json.loads(receiver.on("mastodon.test")[-1].body)
    assert undo["type"] == "Undo" and undo["object"] == {
        "id": block["id"], "type": "Block", "actor": anna.uri, "object": alice_uri}  # fmt: skip


async def test_a_signed_block_from_a_remote_actor_is_handled_by_the_worker(
    settings, db, anna
) -> None:
    world = Fediverse()
    world.actor(CARL, pem=PUBLIC_PEM)
    async with node_client(settings, world) as api:
        anna_h = await bearer(db, anna, "read follow")
        followed = await api.get("/api/v1/accounts/search", params={"q": "@carl@social.example",
                                  "resolve": "true"}, headers=anna_h)  # fmt: skip
        assert followed.status_code == 200, followed.text
        carl_id = followed.json()[0]["id"]
        assert (await api.post(f"/api/v1/accounts/{carl_id}/follow", headers=anna_h)
                ).json()["requested"] is True  # fmt: skip
        body = {"@context": AS, "id": f"{CARL}#blocks/1", "type": "Block", "actor": CARL,
                "object": anna.uri}  # fmt: skip
        answer = await signed_post(api, "/inbox", body, private_pem=PRIVATE,
                                   key_id=f"{CARL}#main-key")  # fmt: skip
        assert answer.status_code == 202, answer.text
        now = datetime.now(UTC)
        async with db.session() as s, s.begin():
            signer = node_signer(await ensure_node_actor(s, settings, now), settings)
        async with world.fetcher(settings) as fetcher:
            worker = Worker(settings, db, fetcher, signer=signer, deliverer=None)
            assert (await worker.run_once(now)).inbox == 1
        found = await api.get("/api/v1/accounts/relationships", params={"id[]": carl_id},
                              headers=anna_h)  # fmt: skip
        relation = found.json()[0]
        assert (relation["blocked_by"], relation["requested"], relation["blocking"]) == (
            True, False, False)  # fmt: skip
    async with db.session() as s:
        carl = await s.scalar(select(Actor).where(Actor.uri == CARL))
        assert carl is not None
        [kept] = (await s.scalars(select(AccountBlock))).all()
        assert (await s.scalars(select(Follow))).all() == []
        sent = (await s.scalars(select(Activity).order_by(Activity.id))).all()
    # her follow request is taken back, as Mastodon does
    assert [(a.activity_type, a.document["to"]) for a in sent] == [
        ("Follow", [CARL]), ("Undo", [CARL])]  # fmt: skip
    assert (kept.actor_id, kept.target_id, kept.uri) == (carl.id, anna.id, f"{CARL}#blocks/1")
