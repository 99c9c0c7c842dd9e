"""Delete: an actor deletes itself (row marked, follows gone) or one of its own objects (marker)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from smartnode.actors.remote import remote_actor_from_ap, store_remote_actor
from smartnode.storage.models import Actor, DeletedObject, Follow
from tests.conftest import make_member
from tests.inbox import AS, NOW, Fediverse, count, receive

ALICE = "https://mastodon.example/users/alice"
BOB = "https://remote.example/users/bob"


def delete(actor: str, obj: Any, delete_id: str | None = None) -> dict[str, Any]:
    return {"@context": AS, "id": delete_id or f"{actor}#delete", "type": "Delete",
            "actor": actor, "object": obj, "to": [f"{AS}#Public"]}  # fmt: skip


async def _arrange(db, settings) -> tuple[Fediverse, Actor]:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    async with db.session() as s, s.begin():
        remote = {}
        for uri in (ALICE, BOB):
            remote[uri] = await store_remote_actor(
                s, remote_actor_from_ap(fediverse.actor(uri)), NOW
            )
        for follower, followed in [(remote[ALICE].id, anna.id), (anna.id, remote[ALICE].id),
                                   (remote[BOB].id, anna.id)]:  # fmt: skip
            s.add(Follow(follower_id=follower, followed_id=followed, state="accepted",
                         created_at=NOW))  # fmt: skip
    return fediverse, anna


async def _follows_of(db, uri: str) -> int:
    async with db.session() as s:
        actor = await s.scalar(select(Actor).where(Actor.uri == uri))
        assert actor is not None
        rows = await s.scalars(
            select(Follow.id).where(
                or_(Follow.follower_id == actor.id, Follow.followed_id == actor.id)
            )
        )
        return len(rows.all())


async def _markers(db) -> list[tuple[str, str]]:
    async with db.session() as s:
        rows = (await s.scalars(select(DeletedObject).order_by(DeletedObject.uri))).all()
    return [(m.uri, m.actor_uri) for m in rows]


async def test_actor_deleting_itself_is_marked_deleted_and_loses_its_follows(db, settings) -> None:
    fediverse, _ = await _arrange(db, settings)
    tombstone = {"id": ALICE, "type": "Tombstone"}
    outcome = await receive(db, settings, fediverse, delete(ALICE, tombstone))
    assert outcome.status == "processed"
    async with db.session() as s:
        alice = await s.scalar(select(Actor).where(Actor.uri == ALICE))
    assert alice is not None and alice.deleted_at == NOW
    assert await _follows_of(db, ALICE) == 0
    assert await _follows_of(db, BOB) == 1
    assert await _markers(db) == [(ALICE, ALICE)]
    assert fediverse.fetched() == []


async def test_delete_of_another_actor_changes_nothing(db, settings) -> None:
    fediverse, _ = await _arrange(db, settings)
    outcome = await receive(db, settings, fediverse, delete(BOB, ALICE))
    assert outcome.status == "ignored"
    async with db.session() as s:
        alice = await s.scalar(select(Actor).where(Actor.uri == ALICE))
    assert alice is not None and alice.deleted_at is None
    assert await _follows_of(db, ALICE) == 2
    assert await _markers(db) == []


async def test_delete_of_a_local_actor_or_object_changes_nothing(db, settings) -> None:
    fediverse, anna = await _arrange(db, settings)
    for n, target in enumerate([anna.uri, f"{settings.base_url}/notes/1"]):
        outcome = await receive(db, settings, fediverse, delete(ALICE, target, f"{ALICE}#d{n}"))
        assert outcome.status == "ignored"
    async with db.session() as s:
        row = await s.get(Actor, anna.id)
    assert row is not None and row.deleted_at is None
    assert await _follows_of(db, anna.uri) == 3
    assert await _markers(db) == []


async def test_delete_of_an_object_leaves_a_marker_only_on_the_actors_origin(db, settings) -> None:
    fediverse, _ = await _arrange(db, settings)
    own = "https://mastodon.example/users/alice/statuses/1"
    foreign = "https://remote.example/users/bob/statuses/9"
    assert (await receive(db, settings, fediverse, delete(ALICE, own))).status == "processed"
    outcome = await receive(db, settings, fediverse, delete(ALICE, foreign, f"{ALICE}#d2"))
    assert outcome.status == "ignored"
    assert await _markers(db) == [(own, ALICE)]


async def test_delete_whose_id_is_on_another_origin_is_ignored(db, settings) -> None:
    fediverse, _ = await _arrange(db, settings)
    outcome = await receive(
        db, settings, fediverse, delete(ALICE, ALICE, "https://evil.example/deletes/1")
    )
    assert outcome.status == "ignored"
    assert await _follows_of(db, ALICE) == 2
    assert await count(db, DeletedObject) == 0


async def test_delete_of_an_unknown_actor_records_a_marker_and_fetches_nothing(
    db, settings
) -> None:
    fediverse = Fediverse()
    stranger = "https://gone.example/users/x"
    outcome = await receive(db, settings, fediverse, delete(stranger, stranger))
    assert outcome.status == "processed"
    assert await _markers(db) == [(stranger, stranger)]
    assert fediverse.fetched() == []
    assert await count(db, Actor) == 0
