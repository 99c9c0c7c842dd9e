"""Undo(Follow): only the follower takes its follow back; Undo of other things is ignored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartnode.storage.models import Actor, Follow
from tests.conftest import make_member
from tests.inbox import AS, Fediverse, follow_activity, receive

ALICE = "https://mastodon.example/users/alice"
CAROL = "https://evil.example/users/carol"
FOLLOW_ID = "https://mastodon.example/follows/1"


def undo(actor: str, obj: Any, undo_id: str | None = None) -> dict[str, Any]:
    return {"@context": AS, "id": undo_id or f"{actor}#undo/1", "type": "Undo", "actor": actor,
            "object": obj}  # fmt: skip


async def _followers(db) -> list[tuple[str, str]]:
    async with db.session() as s:
        rows = await s.execute(
            select(Actor.username, Follow.state).join(Follow, Follow.follower_id == Actor.id)
        )
        return sorted((name, state) for name, state in rows.all())


async def _arrange(db, settings, **member: Any) -> tuple[Fediverse, Actor, dict[str, Any]]:
    anna = await make_member(db, settings, "anna", **member)
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    fediverse.actor(CAROL)
    sent = follow_activity(ALICE, anna.uri, FOLLOW_ID)
    assert (await receive(db, settings, fediverse, sent)).status == "processed"
    return fediverse, anna, sent


async def test_undo_of_an_embedded_follow_by_its_follower_removes_it(db, settings) -> None:
    fediverse, _, sent = await _arrange(db, settings)
    outcome = await receive(db, settings, fediverse, undo(ALICE, sent))
    assert outcome.status == "processed"
    assert await _followers(db) == []


async def test_undo_by_reference_removes_the_follow(db, settings) -> None:
    fediverse, _, _ = await _arrange(db, settings)
    assert (await receive(db, settings, fediverse, undo(ALICE, FOLLOW_ID))).status == "processed"
    assert await _followers(db) == []


async def test_undo_of_a_refollow_with_a_new_id_matches_the_pair(db, settings) -> None:
    fediverse, anna, _ = await _arrange(db, settings)
    newer = follow_activity(ALICE, anna.uri, "https://mastodon.example/follows/2")
    assert (await receive(db, settings, fediverse, newer)).status == "processed"
    assert (await receive(db, settings, fediverse, undo(ALICE, newer))).status == "processed"
    assert await _followers(db) == []


async def test_undo_withdraws_a_pending_request(db, settings) -> None:
    fediverse, _, sent = await _arrange(db, settings, manually_approves_followers=True)
    assert await _followers(db) == [("alice", "pending")]
    assert (await receive(db, settings, fediverse, undo(ALICE, sent))).status == "processed"
    assert await _followers(db) == []


async def test_undo_by_someone_else_changes_nothing(db, settings) -> None:
    fediverse, _, sent = await _arrange(db, settings)
    attempts = [
        undo(CAROL, sent, f"{CAROL}#1"),  # alice's Follow, embedded as is
        undo(CAROL, FOLLOW_ID, f"{CAROL}#2"),  # alice's Follow, by reference
        undo(CAROL, {**sent, "actor": CAROL}, f"{CAROL}#3"),  # the same id, claimed as carol's
    ]
    for body in attempts:
        outcome = await receive(db, settings, fediverse, body)
        assert outcome.status == "ignored", body
    assert await _followers(db) == [("alice", "accepted")]


async def test_undo_of_other_activities_is_ignored(db, settings) -> None:
    fediverse, _, _ = await _arrange(db, settings)
    like = {"id": "https://mastodon.example/likes/1", "type": "Like", "actor": ALICE,
            "object": f"{settings.base_url}/notes/1"}  # fmt: skip
    outcome = await receive(db, settings, fediverse, undo(ALICE, like))
    assert outcome.status == "ignored" and "Like" in outcome.reason
    outcome = await receive(db, settings, fediverse, undo(ALICE, like["id"], f"{ALICE}#u2"))
    assert outcome.status == "ignored"
    assert await _followers(db) == [("alice", "accepted")]
