"""Follow services for our own actors, with remote servers faked at the transport."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartnode.actors.follows import (
    accept_follow_request,
    follow,
    reject_follow_request,
    unfollow,
)
from smartnode.actors.records import node_uris
from smartnode.errors import Forbidden, NotFound
from smartnode.outbox.fanout import expand
from smartnode.storage.models import Activity, Actor, Delivery, DomainBlock, Follow, Job
from tests.conftest import make_member
from tests.inbox import NOW, Fediverse, count, follow_activity, inbox_context, receive

BOB = "https://remote.example/users/bob"
BOB_FINGER = Fediverse.fingered("bob@remote.example")


async def _member(session, username: str) -> Actor:
    actor = await session.scalar(select(Actor).where(Actor.username == username))
    assert actor is not None
    return actor


async def _activities(db) -> list[Activity]:
    async with db.session() as s:
        return list((await s.scalars(select(Activity).order_by(Activity.id))).all())


async def _deliveries(db, settings, activity: Activity) -> list[str]:
    async with db.session() as s, s.begin():
        await expand(s, node_uris(settings), activity.id, NOW)
    async with db.session() as s:
        rows = await s.scalars(
            select(Delivery.inbox_uri).where(Delivery.activity_id == activity.id)
        )
        return list(rows.all())


async def test_following_a_local_member_is_accepted_at_once_without_http(db, settings) -> None:
    await make_member(db, settings, "anna")
    erik = await make_member(db, settings, "erik")
    fediverse = Fediverse()
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        row = await follow(ctx.session, ctx.uris, anna, erik.uri, ctx.resolver, NOW)
        assert (row.state, row.uri) == ("accepted", None)
        again = await follow(ctx.session, ctx.uris, anna, "@erik@se.smart.test", ctx.resolver, NOW)
        assert again.id == row.id
    assert fediverse.fetched() == []
    assert (await count(db, Follow), await count(db, Activity), await count(db, Job)) == (1, 0, 0)


async def test_a_local_member_who_approves_by_hand_gets_a_pending_request(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    erik = await make_member(db, settings, "erik", manually_approves_followers=True)
    fediverse = Fediverse()
    async with inbox_context(db, settings, fediverse) as ctx:
        row = await follow(ctx.session, ctx.uris, await _member(ctx.session, "anna"), erik.uri,
                           ctx.resolver, NOW)  # fmt: skip
        assert row.state == "pending"
    async with inbox_context(db, settings, fediverse) as ctx:
        erik_row = await _member(ctx.session, "erik")
        accepted = await accept_follow_request(ctx.session, ctx.uris, erik_row, anna.uri, NOW)
        assert accepted.state == "accepted"
    assert (await count(db, Activity), fediverse.fetched()) == (0, [])


async def test_following_a_remote_actor_publishes_a_follow_and_stays_pending(db, settings) -> None:
    await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(BOB)
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        row = await follow(ctx.session, ctx.uris, anna, BOB, ctx.resolver, NOW)
    assert fediverse.fetched() == [BOB, BOB_FINGER]
    [sent] = await _activities(db)
    assert row.state == "pending" and row.uri == sent.uri
    assert (sent.activity_type, sent.document["object"], sent.document["to"]) == (
        "Follow",
        BOB,
        [BOB],
    )
    assert await _deliveries(db, settings, sent) == ["https://remote.example/inbox"]


async def test_following_by_handle_uses_webfinger_and_checks_the_loop_back(db, settings) -> None:
    await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(BOB)
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        row = await follow(ctx.session, ctx.uris, anna, "@bob@remote.example", ctx.resolver, NOW)
    assert fediverse.fetched() == [
        "https://remote.example/.well-known/webfinger?resource=acct:bob@remote.example",
        BOB,
    ]
    async with db.session() as s:
        bob = await s.scalar(select(Actor).where(Actor.uri == BOB))
    assert bob is not None and row.followed_id == bob.id and row.state == "pending"


async def test_a_split_domain_handle_is_followed_after_the_loop_back(db, settings) -> None:
    await make_member(db, settings, "anna")
    fediverse = Fediverse()
    social = "https://social.example.org/users/alice"
    fediverse.actor(social)  # answers alice@social.example.org ...
    fediverse.finger("alice@social.example.org", social, subject="acct:alice@example.org")
    fediverse.finger("alice@example.org", social)  # ... whose subject is the handle domain
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        row = await follow(ctx.session, ctx.uris, anna, "acct:alice@example.org", ctx.resolver, NOW)
    assert row.state == "pending"
    assert social in fediverse.fetched()
    assert any("acct:alice@social.example.org" in url for url in fediverse.fetched())


async def test_a_handle_that_does_not_loop_back_is_not_followed(db, settings) -> None:
    await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(BOB)
    # evil.example claims bob: its WebFinger points at bob's actor, which re-fingers elsewhere.
    fediverse.finger("bob@evil.example", BOB)
    fediverse.finger("bob@remote.example", "https://remote.example/users/someone-else")
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        with pytest.raises(NotFound):
            await follow(ctx.session, ctx.uris, anna, "@bob@evil.example", ctx.resolver, NOW)
    assert (await count(db, Follow), await count(db, Activity)) == (0, 0)
    assert await count(db, Actor) == 1


async def test_following_an_unknown_or_blocked_actor_is_refused(db, settings) -> None:
    await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        s.add(DomainBlock(domain="blocked.example", reason="spam", created_at=NOW))
    fediverse = Fediverse()
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        with pytest.raises(NotFound):
            await follow(ctx.session, ctx.uris, anna, BOB, ctx.resolver, NOW)
        for target in ("https://sub.blocked.example/users/x", "@x@blocked.example"):
            with pytest.raises(Forbidden):
                await follow(ctx.session, ctx.uris, anna, target, ctx.resolver, NOW)
    assert fediverse.fetched() == [BOB]
    assert (await count(db, Follow), await count(db, Activity)) == (0, 0)


async def test_unfollow_publishes_undo_embedding_our_original_follow(db, settings) -> None:
    await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(BOB)
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        await follow(ctx.session, ctx.uris, anna, BOB, ctx.resolver, NOW)
    async with inbox_context(db, settings, fediverse) as ctx:
        anna = await _member(ctx.session, "anna")
        assert await unfollow(ctx.session, ctx.uris, anna, BOB, NOW) is True
        assert await unfollow(ctx.session, ctx.uris, anna, BOB, NOW) is False
    sent, undo = await _activities(db)
    assert undo.activity_type == "Undo" and undo.document["to"] == [BOB]
    assert undo.document["object"] == {k: v for k, v in sent.document.items() if k != "@context"}
    assert await count(db, Follow) == 0
    assert await _deliveries(db, settings, undo) == ["https://remote.example/inbox"]


async def test_accepting_a_remote_follow_request_sends_accept_with_the_follow(db, settings) -> None:
    anna = await make_member(db, settings, "anna", manually_approves_followers=True)
    fediverse = Fediverse()
    fediverse.actor(BOB)
    request = follow_activity(BOB, anna.uri, "https://remote.example/follows/42")
    await receive(db, settings, fediverse, request)
    assert await count(db, Activity) == 0
    async with inbox_context(db, settings, fediverse) as ctx:
        anna_row = await _member(ctx.session, "anna")
        await accept_follow_request(ctx.session, ctx.uris, anna_row, BOB, NOW)
        with pytest.raises(NotFound):  # no longer pending
            await accept_follow_request(ctx.session, ctx.uris, anna_row, BOB, NOW)
    [accept] = await _activities(db)
    assert accept.activity_type == "Accept" and accept.document["to"] == [BOB]
    assert accept.document["object"] == {
        "id": "https://remote.example/follows/42", "type": "Follow", "actor": BOB,
        "object": anna.uri,
    }  # fmt: skip
    async with db.session() as s:
        assert (await s.scalars(select(Follow.state))).all() == ["accepted"]
    assert await _deliveries(db, settings, accept) == ["https://remote.example/inbox"]


async def test_rejecting_a_remote_follow_request_sends_reject_and_drops_it(db, settings) -> None:
    anna = await make_member(db, settings, "anna", manually_approves_followers=True)
    fediverse = Fediverse()
    fediverse.actor(BOB)
    await receive(db, settings, fediverse, follow_activity(BOB, anna.uri, f"{BOB}#f1"))
    async with inbox_context(db, settings, fediverse) as ctx:
        await reject_follow_request(ctx.session, ctx.uris, await _member(ctx.session, "anna"),
                                    BOB, NOW)  # fmt: skip
    [reject] = await _activities(db)
    assert reject.activity_type == "Reject" and reject.document["object"]["id"] == f"{BOB}#f1"
    assert await count(db, Follow) == 0


# --- resolution: stored rows are reused for a day, then refreshed; deleted actors stay gone ---


async def test_a_stored_actor_is_reused_for_a_day_then_refreshed(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(BOB, name="Bob One")
    async with inbox_context(db, settings, fediverse) as ctx:
        assert (await ctx.resolver.actor(BOB)) is not None
    fediverse.actor(BOB, name="Bob Two")
    async with inbox_context(db, settings, fediverse, NOW + timedelta(hours=23)) as ctx:
        bob = await ctx.resolver.actor(BOB)
        assert bob is not None and bob.name == "Bob One"
    assert fediverse.fetched() == [BOB, BOB_FINGER]
    async with inbox_context(db, settings, fediverse, NOW + timedelta(days=2)) as ctx:
        bob = await ctx.resolver.actor(BOB)
        assert bob is not None and bob.name == "Bob Two"
    fediverse.serve(BOB, {"error": "down"}, status=503)
    async with inbox_context(db, settings, fediverse, NOW + timedelta(days=4)) as ctx:
        bob = await ctx.resolver.actor(BOB)  # the stored copy serves while the origin is down
        assert bob is not None and bob.name == "Bob Two"
    assert fediverse.fetched() == [BOB, BOB_FINGER, BOB, BOB_FINGER, BOB]


async def test_a_deleted_actor_is_not_fetched_again(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(BOB)
    async with inbox_context(db, settings, fediverse) as ctx:
        bob = await ctx.resolver.actor(BOB)
        assert bob is not None
        bob.deleted_at = NOW
    async with inbox_context(db, settings, fediverse, NOW + timedelta(days=3)) as ctx:
        assert await ctx.resolver.actor(BOB) is None
        assert await ctx.resolver.actor(BOB, refresh=True) is None
    assert fediverse.fetched() == [BOB, BOB_FINGER]
