"""Incoming Follow: stored, accepted or left pending, and answered by an Accept that embeds it."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor
from smartnode.actors.records import node_uris
from smartnode.outbox.fanout import expand
from smartnode.storage.models import Activity, Actor, Delivery, Follow, Job, Peer
from tests.conftest import make_member, make_project
from tests.inbox import NOW, Fediverse, count, follow_activity, receive

ALICE = "https://mastodon.example/users/alice"


async def _accepts(db) -> list[Activity]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Activity).where(Activity.activity_type == "Accept").order_by(Activity.id)
        )
        return list(rows.all())


async def test_follow_from_mastodon_is_accepted_and_accept_embeds_follow(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    follow = follow_activity(ALICE, anna.uri, "https://mastodon.example/8c1f")

    outcome = await receive(db, settings, fediverse, follow)

    assert outcome.status == "processed"
    # the follower is fetched from its own id, and its handle confirmed by WebFinger
    assert fediverse.fetched() == [ALICE, Fediverse.fingered("alice@mastodon.example")]
    async with db.session() as s:
        alice = await s.scalar(select(Actor).where(Actor.uri == ALICE))
        assert alice is not None and not alice.local
        row = await s.scalar(select(Follow))
        assert row is not None
        assert (row.uri, row.follower_id, row.followed_id, row.state) == (
            "https://mastodon.example/8c1f",
            alice.id,
            anna.id,
            "accepted",
        )
    [accept] = await _accepts(db)
    assert accept.actor_id == anna.id
    assert accept.document["actor"] == anna.uri
    assert accept.document["to"] == [ALICE]
    assert accept.document["object"] == {k: v for k, v in follow.items() if k != "@context"}
    async with db.session() as s, s.begin():
        [job] = (await s.scalars(select(Job))).all()
        assert job.payload == {"activity_id": accept.id}
        await expand(s, node_uris(settings), accept.id, NOW)
    async with db.session() as s:
        inboxes = (await s.scalars(select(Delivery.inbox_uri))).all()
    assert inboxes == ["https://mastodon.example/inbox"]


async def test_follow_of_a_project_is_accepted_by_the_project(db, settings) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    assert (await receive(db, settings, fediverse, follow_activity(ALICE, opera.uri))).status == (
        "processed"
    )
    [accept] = await _accepts(db)
    assert accept.actor_id == opera.id and accept.document["object"]["object"] == opera.uri


async def test_follow_of_a_member_who_approves_by_hand_stays_pending(db, settings) -> None:
    anna = await make_member(db, settings, "anna", manually_approves_followers=True)
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    outcome = await receive(db, settings, fediverse, follow_activity(ALICE, anna.uri))
    assert outcome.status == "processed" and "approval" in outcome.reason
    async with db.session() as s:
        assert (await s.scalars(select(Follow.state))).all() == ["pending"]
    assert await _accepts(db) == []
    assert await count(db, Job) == 0


async def test_repeated_follow_resends_accept_and_takes_the_new_id(db, settings) -> None:
    """As Mastodon: the kept follow takes the repeated Follow's id (a later Reject or Undo
    names it), and nothing else changes."""
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    first = follow_activity(ALICE, anna.uri, "https://mastodon.example/1")
    again = follow_activity(ALICE, anna.uri, "https://mastodon.example/2")
    await receive(db, settings, fediverse, first)
    async with db.session() as s:
        before = await s.scalar(select(Follow))
        assert before is not None

    outcome = await receive(db, settings, fediverse, again)

    assert outcome.status == "processed"
    async with db.session() as s:
        rows = (await s.scalars(select(Follow))).all()
    assert [(r.id, r.uri, r.state, r.created_at) for r in rows] == [
        (before.id, "https://mastodon.example/2", "accepted", before.created_at)
    ]
    accepts = await _accepts(db)
    assert [a.document["object"]["id"] for a in accepts] == [
        "https://mastodon.example/1",
        "https://mastodon.example/2",
    ]
    assert await count(db, Actor) == 2  # anna and alice, no duplicate remote row


async def test_a_follow_id_held_by_another_pair_is_not_taken(db, settings) -> None:
    """A Follow of bo reusing the id of alice's follow of anna is ignored; the pair of the
    repeated id still takes it (the follow found both by pair and by id)."""
    anna = await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    first = follow_activity(ALICE, anna.uri, "https://mastodon.example/1")
    of_bo = follow_activity(ALICE, bo.uri, "https://mastodon.example/1")
    await receive(db, settings, fediverse, first)

    outcome = await receive(db, settings, fediverse, of_bo, inbox=f"{bo.uri}/inbox")
    again = await receive(db, settings, fediverse, first, inbox=f"{anna.uri}/inbox")

    assert (outcome.status, outcome.reason) == (
        "ignored", "the Follow id is already used by another follow")  # fmt: skip
    assert (again.status, again.reason) == ("processed", "repeated Follow: Accept sent again")
    async with db.session() as s:
        rows = (await s.execute(select(Follow.uri, Follow.followed_id))).all()
    assert rows == [("https://mastodon.example/1", anna.id)]
    assert len(await _accepts(db)) == 2


async def test_follow_of_unknown_or_deleted_local_actor_leaves_no_rows(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    ghost = f"{settings.base_url}/members/ghost"
    outcome = await receive(db, settings, fediverse, follow_activity(ALICE, ghost))
    assert outcome.status == "ignored"
    remote = "https://elsewhere.example/users/bob"
    outcome = await receive(db, settings, fediverse, follow_activity(ALICE, remote, f"{ALICE}#2"))
    assert outcome.status == "ignored"
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        row = await s.get(Actor, anna.id)
        assert row is not None
        row.deleted_at = NOW
    outcome = await receive(db, settings, fediverse, follow_activity(ALICE, anna.uri, f"{ALICE}#3"))
    assert outcome.status == "ignored"
    assert fediverse.fetched() == []  # nothing fetched for a follow that goes nowhere
    assert (await count(db, Follow), await count(db, Activity), await count(db, Actor)) == (0, 0, 1)


async def test_node_actor_accepts_trusted_peers_and_leaves_others_pending(db, settings) -> None:
    async with db.session() as s, s.begin():
        node = await ensure_node_actor(s, settings, NOW)
        s.add(Peer(host="be.smart.test", actor_uri="https://be.smart.test/actor", created_at=NOW))
    fediverse = Fediverse()
    fediverse.actor("https://be.smart.test/actor", type="Application")
    fediverse.actor(ALICE)

    peer = await receive(
        db, settings, fediverse, follow_activity("https://be.smart.test/actor", node.uri)
    )
    stranger = await receive(db, settings, fediverse, follow_activity(ALICE, node.uri))

    assert (peer.status, stranger.status) == ("processed", "processed")
    async with db.session() as s:
        rows = await s.execute(
            select(Actor.uri, Follow.state).join(Follow, Follow.follower_id == Actor.id)
        )
        states = {uri: state for uri, state in rows.all()}
    assert states == {"https://be.smart.test/actor": "accepted", ALICE: "pending"}
    [accept] = await _accepts(db)
    assert accept.document["to"] == ["https://be.smart.test/actor"]


async def test_follow_whose_id_is_on_another_origin_is_ignored(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    forged = follow_activity(ALICE, anna.uri, "https://other.example/follows/1")
    outcome = await receive(db, settings, fediverse, forged)
    assert outcome.status == "ignored" and "origin" in outcome.reason
    assert (await count(db, Follow), await count(db, Activity)) == (0, 0)


async def test_follow_from_an_actor_that_cannot_be_fetched_is_ignored(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.serve(ALICE, {"error": "gone"}, status=410)
    outcome = await receive(db, settings, fediverse, follow_activity(ALICE, anna.uri))
    assert outcome.status == "ignored" and "resolved" in outcome.reason
    assert (await count(db, Follow), await count(db, Activity)) == (0, 0)


async def test_follow_from_an_actor_id_that_redirects_to_another_actor_is_ignored(
    db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    bob = "https://mastodon.example/users/bob"
    fediverse.actor(bob)
    fediverse.redirect(ALICE, bob)  # alice's id leads to bob's document
    outcome = await receive(db, settings, fediverse, follow_activity(ALICE, anna.uri))
    assert outcome.status == "ignored"
    assert fediverse.fetched() == [ALICE, bob]
    assert (await count(db, Follow), await count(db, Activity)) == (0, 0)
