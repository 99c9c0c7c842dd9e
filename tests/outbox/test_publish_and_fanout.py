"""Transactional outbox and stage-two fan-out, asserted on the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.actors.remote import remote_actor_from_ap, store_remote_actor
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.federation.vocab import PUBLIC
from smartnode.outbox.fanout import expand
from smartnode.outbox.publish import FANOUT, publish
from smartnode.storage.models import (
    Activity,
    Actor,
    DeadInbox,
    Delivery,
    DomainBlock,
    Follow,
    Host,
    Job,
)
from tests.conftest import make_member

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
_, PEM = generate_rsa_keypair()


def remote_actor(uri: str, inbox: str, shared: str | None) -> Actor:
    host = uri.split("/")[2]
    return Actor(
        uri=uri, local=False, kind="remote", ap_type="Person", username=uri.rsplit("/", 1)[-1],
        domain=host, name="", summary="", summary_map={}, language="en", inbox_uri=inbox,
        shared_inbox_uri=shared, public_key_pem=PEM, key_id=f"{uri}#main-key",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip


async def test_publish_rolled_back_leaves_neither_activity_nor_job(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s:
        async with s.begin():
            await publish(
                s, node_uris(settings), anna, "Update", obj=anna.uri, to=[PUBLIC], now=NOW
            )
            await s.rollback()
        assert (await s.scalars(select(Activity))).all() == []
        assert (await s.scalars(select(Job))).all() == []


async def test_publish_commits_activity_and_one_fanout_job_together(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        activity = await publish(
            s, node_uris(settings), anna, "Update", obj={"id": anna.uri, "type": "Person"},
            to=[PUBLIC], cc=[f"{anna.uri}/followers"], now=NOW,
        )  # fmt: skip
    async with db.session() as s:
        stored = await s.get(Activity, activity.id)
        assert stored is not None and stored.public and stored.object_uri == anna.uri
        assert stored.uri.startswith("https://se.smart.test/activities/")
        assert stored.document["actor"] == anna.uri and stored.document["id"] == stored.uri
        jobs = (await s.scalars(select(Job))).all()
        assert [(j.kind, j.payload) for j in jobs] == [(FANOUT, {"activity_id": activity.id})]


async def test_fanout_prefers_shared_inboxes_and_skips_blocked_dead_and_pending(
    db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    followers = [
        remote_actor("https://a.example/users/1", "https://a.example/users/1/inbox", "https://a.example/inbox"),
        remote_actor("https://a.example/users/2", "https://a.example/users/2/inbox", "https://a.example/inbox"),
        remote_actor("https://b.example/u/x", "https://b.example/u/x/inbox", None),
        remote_actor("https://blocked.example/u/y", "https://blocked.example/u/y/inbox", None),
        remote_actor("https://sub.blocked.example/u/z", "https://sub.blocked.example/inbox", None),
        remote_actor("https://dead.example/u/w", "https://dead.example/u/w/inbox", None),
    ]  # fmt: skip
    pending = remote_actor("https://c.example/u/p", "https://c.example/u/p/inbox", None)
    async with db.session() as s, s.begin():
        s.add_all([*followers, pending])
        s.add(DomainBlock(domain="blocked.example", reason="spam", created_at=NOW))
        s.add(Host(host="dead.example", unavailable=True, failure_days=[], updated_at=NOW))
        await s.flush()
        for f in followers:
            s.add(Follow(follower_id=f.id, followed_id=anna.id, state="accepted", created_at=NOW))
        s.add(Follow(follower_id=pending.id, followed_id=anna.id, state="pending", created_at=NOW))
        activity = await publish(
            s, node_uris(settings), anna, "Update", obj=anna.uri,
            to=[PUBLIC], cc=[f"{anna.uri}/followers"], now=NOW,
        )  # fmt: skip
    async with db.session() as s, s.begin():
        assert await expand(s, node_uris(settings), activity.id, NOW) == 2
    async with db.session() as s, s.begin():
        assert await expand(s, node_uris(settings), activity.id, NOW) == 0  # idempotent
    async with db.session() as s:
        rows = (await s.scalars(select(Delivery).order_by(Delivery.inbox_uri))).all()
    assert [(d.inbox_uri, d.host, d.state) for d in rows] == [
        ("https://a.example/inbox", "a.example", "pending"),
        ("https://b.example/u/x/inbox", "b.example", "pending"),
    ]


async def test_fanout_reaches_addressed_remote_actors_but_not_local_ones(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    erik = await make_member(db, settings, "erik")
    bob = remote_actor("https://m.example/users/bob", "https://m.example/users/bob/inbox", None)
    async with db.session() as s, s.begin():
        s.add(bob)
        activity = await publish(
            s, node_uris(settings), anna, "Follow", obj=bob.uri, to=[bob.uri, erik.uri], now=NOW
        )
    async with db.session() as s, s.begin():
        assert await expand(s, node_uris(settings), activity.id, NOW) == 1
    async with db.session() as s:
        assert (await s.scalars(select(Delivery.inbox_uri))).all() == [
            "https://m.example/users/bob/inbox"
        ]


async def test_another_server_on_our_host_name_with_another_port_gets_its_delivery(
    db, settings
) -> None:
    """se.smart.test:8443 is another server than https://se.smart.test (our own origin)."""
    anna = await make_member(db, settings, "anna")
    twins = [
        remote_actor(
            f"https://se.smart.test:{port}/users/x", f"https://se.smart.test:{port}/inbox", None
        )
        for port in (8443, 9443)
    ]
    async with db.session() as s, s.begin():
        s.add_all(twins)
        await s.flush()
        for twin in twins:
            s.add(
                Follow(follower_id=twin.id, followed_id=anna.id, state="accepted", created_at=NOW)
            )
        activity = await publish(
            s, node_uris(settings), anna, "Update", obj=anna.uri,
            to=[PUBLIC], cc=[f"{anna.uri}/followers"], now=NOW,
        )  # fmt: skip
    async with db.session() as s, s.begin():
        assert await expand(s, node_uris(settings), activity.id, NOW) == 2
    async with db.session() as s:
        rows = (await s.scalars(select(Delivery).order_by(Delivery.host))).all()
    assert [d.host for d in rows] == ["se.smart.test:8443", "se.smart.test:9443"]


async def test_a_dead_inbox_gets_nothing_until_its_actor_shows_life(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    bob = remote_actor("https://m.example/users/bob", "https://m.example/users/bob/inbox", None)
    async with db.session() as s, s.begin():
        s.add(bob)
        await s.flush()
        s.add(Follow(follower_id=bob.id, followed_id=anna.id, state="accepted", created_at=NOW))
        s.add(DeadInbox(inbox_uri=bob.inbox_uri, status=410, gone_at=NOW))

    async def fan_out() -> int:
        async with db.session() as s, s.begin():
            activity = await publish(
                s, node_uris(settings), anna, "Update", obj=anna.uri,
                to=[PUBLIC], cc=[f"{anna.uri}/followers"], now=NOW,
            )  # fmt: skip
            await s.flush()  # the activity's id
            return await expand(s, node_uris(settings), activity.id, NOW)

    assert await fan_out() == 0
    async with db.session() as s, s.begin():
        await store_remote_actor(s, remote_actor_from_ap(_document_of(bob)), NOW)
    assert await fan_out() == 1


def _document_of(actor: Actor) -> dict[str, object]:
    return {
        "id": actor.uri, "type": "Person", "preferredUsername": actor.username,
        "inbox": actor.inbox_uri,
        "publicKey": {"id": f"{actor.uri}#main-key", "owner": actor.uri, "publicKeyPem": PEM},
    }  # fmt: skip


async def test_published_documents_keep_their_key_order(db, settings) -> None:
    """Mastodon takes a post's language from the first contentMap key: order must survive."""
    anna = await make_member(db, settings, "anna", language="sv", summary="Hej",
                             summary_map={"en": "Hi", "de": "Hallo"})  # fmt: skip
    note = {"type": "Note", "contentMap": {"sv": "Hej", "en": "Hi", "de": "Hallo"}}
    async with db.session() as s, s.begin():
        activity = await publish(
            s, node_uris(settings), anna, "Create", obj=note, to=[PUBLIC], now=NOW
        )
    async with db.session() as s:
        stored = await s.get(Activity, activity.id)
        actor = await s.get(Actor, anna.id)
    assert stored is not None and list(stored.document["object"]["contentMap"]) == [
        "sv",
        "en",
        "de",
    ]
    assert list(stored.document) == list(activity.document)
    assert actor is not None and list(actor.summary_map) == ["sv", "en", "de"]
