"""Like and Announce (and their Undo): counted once per actor on posts that may be seen, and an
announced remote post is stored only from its origin, never from a forged embedded copy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from smartnode.storage.models import Actor, ContentObject, Follow, Reaction
from tests.conftest import make_member
from tests.content import activity, make_post, objects, remote_note
from tests.inbox import Fediverse, inbox_context, receive

ALICE = "https://mastodon.example/users/alice"
EVE = "https://mastodon.example/users/eve"
BOB = "https://social.example/users/bob"
NOTE = "https://mastodon.example/users/alice/statuses/7"
AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    for uri in (ALICE, EVE, BOB):
        fediverse.actor(uri)
    return fediverse


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


async def counts(db, uri: str) -> tuple[int, int]:
    async with db.session() as s:
        row = await s.scalar(select(ContentObject).where(ContentObject.uri == uri))
        assert row is not None
        return row.likes_count, row.announces_count


async def reactions(db) -> list[tuple[str, str]]:
    async with db.session() as s:
        return [(r.kind, r.uri) for r in (await s.scalars(select(Reaction).order_by(Reaction.id)))]


async def follows(db, settings, world, follower, followed_uri: str) -> None:
    async with inbox_context(db, settings, world) as ctx:
        followed = await ctx.resolver.actor(followed_uri)
        ctx.session.add(Follow(follower_id=follower.id, followed_id=followed.id,
                               state="accepted", created_at=ctx.now))  # fmt: skip


async def test_like_of_our_post_counts_once_per_actor(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna)
    first = await receive(db, settings, world, activity("Like", ALICE, post.uri, f"{ALICE}#l1"))
    again = await receive(db, settings, world, activity("Like", ALICE, post.uri, f"{ALICE}#l2"))
    other = await receive(db, settings, world, activity("Like", EVE, post.uri, f"{EVE}#l1"))
    assert [first.status, again.status, other.status] == ["processed", "ignored", "processed"]
    assert await counts(db, post.uri) == (2, 0)
    assert await reactions(db) == [("like", f"{ALICE}#l1"), ("like", f"{EVE}#l1")]


@pytest.mark.parametrize(
    ("like_id", "target", "reason"),
    [
        ("https://social.example/likes/1", "post", "not on its actor's origin"),
        (f"{ALICE}#l", "https://se.smart.test/notes/0123abcd", "none of our live posts"),
        (f"{ALICE}#l", NOTE, "none of our live posts"),
    ],
)
async def test_likes_that_do_not_count(db, settings, world, anna, like_id, target, reason) -> None:
    post = await make_post(db, settings, anna)
    body = activity("Like", ALICE, post.uri if target == "post" else target, like_id)
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "ignored" and reason in outcome.reason
    assert await counts(db, post.uri) == (0, 0) and await reactions(db) == []


async def test_a_followers_only_post_is_liked_only_by_a_follower(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna, visibility="followers")
    stranger = await receive(db, settings, world, activity("Like", ALICE, post.uri, f"{ALICE}#l"))
    assert stranger.status == "ignored" and await counts(db, post.uri) == (0, 0)
    async with inbox_context(db, settings, world) as ctx:
        alice = await ctx.resolver.actor(ALICE)
        ctx.session.add(Follow(follower_id=alice.id, followed_id=anna.id, state="accepted",
                               created_at=ctx.now))  # fmt: skip
    follower = await receive(db, settings, world, activity("Like", ALICE, post.uri, f"{ALICE}#m"))
    assert follower.status == "processed" and await counts(db, post.uri) == (1, 0)


async def test_a_deleted_post_is_not_liked(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna)
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, post.id)
        row.deleted_at = datetime.now(UTC)
    outcome = await receive(db, settings, world, activity("Like", ALICE, post.uri, f"{ALICE}#l"))
    assert outcome.status == "ignored" and await reactions(db) == []


async def test_undo_like_only_by_the_liker(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna)
    like = activity("Like", ALICE, post.uri, f"{ALICE}#l1")
    await receive(db, settings, world, like)
    by_eve = await receive(db, settings, world, activity("Undo", EVE, like, f"{EVE}#u"))
    forged = await receive(
        db, settings, world, activity("Undo", EVE, {**like, "actor": EVE}, f"{EVE}#u2")
    )
    by_id_eve = await receive(db, settings, world, activity("Undo", EVE, like["id"], f"{EVE}#u3"))
    assert [by_eve.status, forged.status, by_id_eve.status] == ["ignored"] * 3
    assert await counts(db, post.uri) == (1, 0)
    undone = await receive(db, settings, world, activity("Undo", ALICE, like, f"{ALICE}#u"))
    assert undone.status == "processed" and await counts(db, post.uri) == (0, 0)
    assert await reactions(db) == []


async def test_undo_like_by_id_and_by_pair(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna)
    await receive(db, settings, world, activity("Like", ALICE, post.uri, f"{ALICE}#l1"))
    await receive(db, settings, world, activity("Like", EVE, post.uri, f"{EVE}#l1"))
    by_id = await receive(db, settings, world, activity("Undo", ALICE, f"{ALICE}#l1", f"{ALICE}#u"))
    pair = {"type": "Like", "id": f"{EVE}#other", "actor": EVE, "object": post.uri}
    by_pair = await receive(db, settings, world, activity("Undo", EVE, pair, f"{EVE}#u"))
    assert (by_id.status, by_pair.status) == ("processed", "processed")
    assert await counts(db, post.uri) == (0, 0)


async def test_announce_of_our_public_post_counts_and_undo_uncounts(
    db, settings, world, anna
) -> None:
    post = await make_post(db, settings, anna)
    boost = activity("Announce", ALICE, post.uri, f"{ALICE}#b1")
    assert (await receive(db, settings, world, boost)).status == "processed"
    assert await counts(db, post.uri) == (0, 1)
    undo = await receive(db, settings, world, activity("Undo", ALICE, boost, f"{ALICE}#u"))
    assert undo.status == "processed" and await counts(db, post.uri) == (0, 0)


async def test_a_followers_only_post_is_never_boosted(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna, visibility="followers")
    boost = activity("Announce", ALICE, post.uri, f"{ALICE}#b1")
    outcome = await receive(db, settings, world, boost)
    assert outcome.status == "ignored" and await counts(db, post.uri) == (0, 0)


async def test_boosted_remote_post_is_refetched_from_its_origin(db, settings, world, anna) -> None:
    await follows(db, settings, world, anna, BOB)
    real = remote_note(NOTE, ALICE, content="<p>the real text</p>")
    world.serve(NOTE, {"@context": AS, **real})
    forged = {**real, "content": "<p>forged by bob</p>"}
    outcome = await receive(db, settings, world, activity("Announce", BOB, forged, f"{BOB}#b"))
    assert outcome.status == "processed", outcome.reason
    [row] = await objects(db)
    assert (row.uri, row.content, row.announces_count) == (NOTE, "<p>the real text</p>", 1)
    assert NOTE in world.fetched()
    async with db.session() as s:
        author = await s.scalar(select(Actor.uri).where(Actor.id == row.actor_id))
    assert author == ALICE


async def test_a_forged_boost_whose_refetch_fails_stores_nothing(db, settings, world, anna) -> None:
    await follows(db, settings, world, anna, BOB)
    forged = remote_note(NOTE, ALICE, content="<p>forged by bob</p>")  # the origin answers 404
    outcome = await receive(db, settings, world, activity("Announce", BOB, forged, f"{BOB}#b"))
    assert outcome.status == "ignored" and "could not be fetched" in outcome.reason
    assert await objects(db) == [] and await reactions(db) == []


async def test_a_boost_embedding_its_own_origin_is_trusted(db, settings, world, anna) -> None:
    await follows(db, settings, world, anna, EVE)
    note = remote_note(NOTE, ALICE, content="<p>same origin</p>")
    outcome = await receive(db, settings, world, activity("Announce", EVE, note, f"{EVE}#b"))
    assert outcome.status == "processed"
    assert NOTE not in world.fetched()
    [row] = await objects(db)
    assert row.content == "<p>same origin</p>" and row.announces_count == 1


async def test_a_boost_by_someone_nobody_here_follows_fetches_nothing(
    db, settings, world, anna
) -> None:
    world.serve(NOTE, {"@context": AS, **remote_note(NOTE, ALICE)})
    outcome = await receive(db, settings, world, activity("Announce", BOB, NOTE, f"{BOB}#b"))
    assert outcome.status == "ignored" and "concerns no one" in outcome.reason
    assert NOTE not in world.fetched() and await objects(db) == []


async def test_a_boosted_non_public_post_is_not_stored(db, settings, world, anna) -> None:
    await follows(db, settings, world, anna, EVE)
    note = remote_note(NOTE, ALICE, to=[f"{ALICE}/followers"], cc=[])
    outcome = await receive(db, settings, world, activity("Announce", EVE, note, f"{EVE}#b"))
    assert outcome.status == "ignored" and await objects(db) == []


async def test_announce_of_an_activity_by_a_person_is_ignored(db, settings, world, anna) -> None:
    await follows(db, settings, world, anna, BOB)
    relayed = activity("Create", ALICE, remote_note(NOTE, ALICE), f"{NOTE}/activity")
    outcome = await receive(db, settings, world, activity("Announce", BOB, relayed, f"{BOB}#b"))
    assert outcome.status == "ignored" and "unless a Group relays it" in outcome.reason
    assert NOTE not in world.fetched()
    assert await objects(db) == []


async def test_a_like_of_our_call_or_event_counts(db, settings, world, anna) -> None:
    """Mastodon shows our calls and events as posts, and its users favourite them."""
    from tests.conftest import make_project
    from tests.inbox.applications import make_call
    from tests.inbox.test_participation import an_event

    project = await make_project(db, settings, "Jazz Night", "anna")
    call = await make_call(db, settings, project)
    event = await an_event(db, settings, anna)
    for n, target in enumerate((call.uri, event.uri)):
        liked = await receive(db, settings, world, activity("Like", ALICE, target, f"{ALICE}#c{n}"))
        assert liked.status == "processed", liked.reason
        assert await counts(db, target) == (1, 0)
