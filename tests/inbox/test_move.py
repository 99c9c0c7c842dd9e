"""Move: only by the moving actor, to a target that names it in alsoKnownAs, once a month."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from smartnode.storage.models import Activity, Actor, Follow
from tests.conftest import make_member
from tests.inbox import AS, NOW, Fediverse, follow_activity, receive

OLD = "https://old.example/users/alice"
NEW = "https://new.example/users/alice"
OTHER = "https://elsewhere.example/users/alice"


def move(target: str, *, actor: str = OLD, n: int = 1) -> dict[str, Any]:
    return {"@context": AS, "id": f"{actor}#moves/{n}", "type": "Move", "actor": actor,
            "object": OLD, "target": target}  # fmt: skip


async def _arrange(db, settings) -> Fediverse:
    """anna follows alice's old account (accepted); the new account is served by its origin."""
    anna = await make_member(db, settings, "anna")
    world = Fediverse()
    world.actor(OLD)
    world.actor(NEW, alsoKnownAs=[OLD])
    world.actor(OTHER)  # does not name the old account
    await receive(db, settings, world, follow_activity(OLD, anna.uri))  # alice becomes known
    async with db.session() as s, s.begin():
        old = await s.scalar(select(Actor).where(Actor.uri == OLD))
        me = await s.scalar(select(Actor).where(Actor.uri == anna.uri))
        assert old is not None and me is not None
        s.add(Follow(uri=f"{anna.uri}#f-old", follower_id=me.id, followed_id=old.id,
                     state="accepted", created_at=NOW))  # fmt: skip
    return world


async def _anna_follows(db) -> dict[str, str]:
    """Whom anna follows, and in which state."""
    async with db.session() as s:
        anna = await s.scalar(select(Actor).where(Actor.username == "anna", Actor.local.is_(True)))
        assert anna is not None
        rows = await s.execute(
            select(Actor.uri, Follow.state)
            .join(Follow, Follow.followed_id == Actor.id)
            .where(Follow.follower_id == anna.id)
        )
        return {uri: state for uri, state in rows.all()}


async def test_a_move_to_an_account_that_names_the_old_one_moves_local_follows(
    db, settings
) -> None:
    world = await _arrange(db, settings)
    outcome = await receive(db, settings, world, move(NEW))
    assert outcome.status == "processed"
    assert await _anna_follows(db) == {NEW: "pending"}
    async with db.session() as s:
        old = await s.scalar(select(Actor).where(Actor.uri == OLD))
        sent = (await s.scalars(select(Activity.activity_type).order_by(Activity.id))).all()
    assert old is not None and old.moved_to_uri == NEW
    assert sent[-2:] == ["Follow", "Undo"]  # follow the new account, leave the old one


async def test_a_move_by_someone_else_changes_nothing(db, settings) -> None:
    world = await _arrange(db, settings)
    world.actor(OTHER)
    forged = {**move(NEW), "actor": OTHER, "id": f"{OTHER}#moves/1"}
    outcome = await receive(db, settings, world, forged)
    assert outcome.status == "ignored"
    assert await _anna_follows(db) == {OLD: "accepted"}


async def test_a_target_without_the_alias_changes_nothing(db, settings) -> None:
    world = await _arrange(db, settings)
    outcome = await receive(db, settings, world, move(OTHER))
    assert outcome.status == "ignored" and "alsoKnownAs" in outcome.reason
    assert await _anna_follows(db) == {OLD: "accepted"}
    async with db.session() as s:
        old = await s.scalar(select(Actor).where(Actor.uri == OLD))
    assert old is not None and old.moved_to_uri is None


async def test_a_second_move_within_a_month_is_refused(db, settings) -> None:
    world = await _arrange(db, settings)
    assert (await receive(db, settings, world, move(NEW))).status == "processed"
    world.actor(OTHER, alsoKnownAs=[OLD])
    again = await receive(db, settings, world, move(OTHER, n=2), now=NOW + timedelta(days=3))
    assert again.status == "ignored" and "30 days" in again.reason
    async with db.session() as s:
        old = await s.scalar(select(Actor).where(Actor.uri == OLD))
    assert old is not None and old.moved_to_uri == NEW
