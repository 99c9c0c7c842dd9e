"""Accept / Reject of our Follow: they count only from the followed actor and only for a Follow
we sent (forged Accepts leaked followers-only posts on Pixelfed, CVE-2025-30741)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartnode.actors.follows import follow
from smartnode.actors.records import node_uris
from smartnode.storage.models import Actor, Follow
from tests.conftest import make_member
from tests.inbox import AS, NOW, Fediverse, inbox_context, receive

BOB = "https://remote.example/users/bob"
CAROL = "https://evil.example/users/carol"
DAVE = "https://remote.example/users/dave"


async def _follow(db, settings, fediverse: Fediverse, username: str, target: str) -> str:
    """A local member follows a remote actor through the real service; the Follow id."""
    async with inbox_context(db, settings, fediverse) as ctx:
        member = await ctx.session.scalar(select(Actor).where(Actor.username == username))
        assert member is not None
        row = await follow(ctx.session, node_uris(settings), member, target, ctx.resolver, NOW)
        assert row.uri is not None and row.state == "pending"
        return row.uri


async def _states(db) -> dict[tuple[str, str], str]:
    async with db.session() as s:
        rows = (await s.scalars(select(Follow))).all()
        actors = {a.id: a.username for a in (await s.scalars(select(Actor))).all()}
    return {(actors[r.follower_id], actors[r.followed_id]): r.state for r in rows}


def answer(kind: str, actor: str, obj: Any, answer_id: str | None = None) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": answer_id or f"{actor}#{kind.lower()}s/1",
        "type": kind,
        "actor": actor,
        "object": obj,
    }


def embedded(follow_id: str, follower: str, followed: str) -> dict[str, Any]:
    return {"id": follow_id, "type": "Follow", "actor": follower, "object": followed}


async def _arrange(db, settings) -> tuple[Fediverse, str, Actor]:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    for uri in (BOB, CAROL, DAVE):
        fediverse.actor(uri)
    return fediverse, await _follow(db, settings, fediverse, "anna", BOB), anna


async def test_accept_from_the_followed_actor_accepts_our_follow(db, settings) -> None:
    fediverse, follow_id, anna = await _arrange(db, settings)
    outcome = await receive(
        db, settings, fediverse, answer("Accept", BOB, embedded(follow_id, anna.uri, BOB))
    )
    assert outcome.status == "processed"
    assert await _states(db) == {("anna", "bob"): "accepted"}


async def test_accept_by_reference_accepts_our_follow(db, settings) -> None:
    fediverse, follow_id, _ = await _arrange(db, settings)
    outcome = await receive(db, settings, fediverse, answer("Accept", BOB, follow_id))
    assert outcome.status == "processed"
    assert await _states(db) == {("anna", "bob"): "accepted"}


async def test_accept_from_a_third_actor_leaves_the_follow_pending(db, settings) -> None:
    fediverse, follow_id, anna = await _arrange(db, settings)
    for obj in (follow_id, embedded(follow_id, anna.uri, BOB)):
        outcome = await receive(
            db, settings, fediverse, answer("Accept", CAROL, obj, f"{CAROL}#{len(str(obj))}")
        )
        assert outcome.status == "ignored"
    assert await _states(db) == {("anna", "bob"): "pending"}


async def test_accept_of_a_follow_we_never_sent_changes_nothing(db, settings) -> None:
    fediverse, _, anna = await _arrange(db, settings)
    invented = [
        f"{settings.base_url}/activities/0000invented",
        "https://remote.example/follows/1",
    ]
    for n, follow_id in enumerate(invented):
        obj = embedded(follow_id, anna.uri, BOB)
        outcome = await receive(db, settings, fediverse, answer("Accept", BOB, obj, f"{BOB}#a{n}"))
        assert outcome.status == "ignored"
    assert await _states(db) == {("anna", "bob"): "pending"}


async def test_accept_whose_embedded_follow_claims_another_actor_changes_nothing(
    db, settings
) -> None:
    fediverse, to_bob, anna = await _arrange(db, settings)
    to_dave = await _follow(db, settings, fediverse, "anna", DAVE)
    # Bob answers the Follow anna sent to dave, with an embedded copy that names bob as object.
    outcome = await receive(
        db, settings, fediverse, answer("Accept", BOB, embedded(to_dave, anna.uri, BOB))
    )
    assert outcome.status == "ignored"
    # Carol's Accept embeds anna's Follow of bob with carol as its object: only the id counts.
    outcome = await receive(
        db, settings, fediverse, answer("Accept", CAROL, embedded(to_bob, anna.uri, CAROL))
    )
    assert outcome.status == "ignored"
    assert await _states(db) == {("anna", "bob"): "pending", ("anna", "dave"): "pending"}


async def test_accept_touches_only_the_follow_it_answers(db, settings) -> None:
    fediverse, anna_to_bob, _ = await _arrange(db, settings)
    await make_member(db, settings, "erik")
    await _follow(db, settings, fediverse, "erik", BOB)
    await receive(db, settings, fediverse, answer("Accept", BOB, anna_to_bob))
    assert await _states(db) == {("anna", "bob"): "accepted", ("erik", "bob"): "pending"}


async def test_accept_of_something_else_than_a_follow_is_ignored(db, settings) -> None:
    fediverse, follow_id, _ = await _arrange(db, settings)
    offer = {"id": follow_id, "type": "Offer", "actor": BOB}
    outcome = await receive(db, settings, fediverse, answer("Accept", BOB, offer))
    assert outcome.status == "ignored" and "Offer" in outcome.reason
    assert await _states(db) == {("anna", "bob"): "pending"}


async def test_reject_removes_a_pending_or_accepted_follow(db, settings) -> None:
    fediverse, anna_to_bob, anna = await _arrange(db, settings)
    await make_member(db, settings, "erik")
    erik_to_bob = await _follow(db, settings, fediverse, "erik", BOB)
    await receive(db, settings, fediverse, answer("Accept", BOB, erik_to_bob))
    assert await _states(db) == {("anna", "bob"): "pending", ("erik", "bob"): "accepted"}

    pending = await receive(
        db, settings, fediverse, answer("Reject", BOB, embedded(anna_to_bob, anna.uri, BOB))
    )
    accepted = await receive(
        db, settings, fediverse, answer("Reject", BOB, erik_to_bob, f"{BOB}#r2")
    )

    assert (pending.status, accepted.status) == ("processed", "processed")
    assert await _states(db) == {}


async def test_reject_from_a_third_actor_changes_nothing(db, settings) -> None:
    fediverse, follow_id, anna = await _arrange(db, settings)
    outcome = await receive(
        db, settings, fediverse, answer("Reject", CAROL, embedded(follow_id, anna.uri, BOB))
    )
    assert outcome.status == "ignored"
    assert await _states(db) == {("anna", "bob"): "pending"}
