"""Block: a remote actor blocking a local one cuts the follows between them, both ways."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartnode.storage.models import Activity, Actor, Follow
from tests.conftest import make_member
from tests.inbox import AS, NOW, Fediverse, count, receive

BOB = "https://remote.example/users/bob"
CAROL = "https://other.example/users/carol"


def block(actor: str, target: str, block_id: str) -> dict[str, Any]:
    return {"@context": AS, "id": block_id, "type": "Block", "actor": actor, "object": target}


async def _graph(db) -> set[tuple[str, str]]:
    async with db.session() as s:
        names = {a.id: a.username for a in (await s.scalars(select(Actor))).all()}
        rows = (await s.scalars(select(Follow))).all()
    return {(names[r.follower_id], names[r.followed_id]) for r in rows}


async def _arrange(db, settings) -> tuple[Fediverse, Actor]:
    anna = await make_member(db, settings, "anna")
    erik = await make_member(db, settings, "erik")
    fediverse = Fediverse()
    fediverse.actor(BOB)
    fediverse.actor(CAROL)
    async with db.session() as s, s.begin():
        for uri in (BOB, CAROL):
            s.add(
                Actor(uri=uri, local=False, kind="remote", ap_type="Person",
                      username=uri.rsplit("/", 1)[1], domain=uri.split("/")[2], summary_map={},
                      public_key_pem="", created_at=NOW, updated_at=NOW)
            )  # fmt: skip
        await s.flush()
        ids = {a.username: a.id for a in (await s.scalars(select(Actor))).all()}
        for follower, followed in [("anna", "bob"), ("bob", "anna"), ("erik", "bob"),
                                   ("carol", "anna"), ("bob", "erik")]:  # fmt: skip
            s.add(Follow(follower_id=ids[follower], followed_id=ids[followed], state="accepted",
                         created_at=NOW))  # fmt: skip
    assert erik is not None
    return fediverse, anna


async def test_block_removes_follows_both_ways_between_the_two(db, settings) -> None:
    fediverse, anna = await _arrange(db, settings)
    outcome = await receive(db, settings, fediverse, block(BOB, anna.uri, f"{BOB}#blocks/1"))
    assert outcome.status == "processed"
    assert await _graph(db) == {("erik", "bob"), ("carol", "anna"), ("bob", "erik")}
    assert await count(db, Activity) == 0  # nothing is sent back


async def test_block_of_an_unknown_local_actor_or_from_a_stranger_changes_nothing(
    db, settings
) -> None:
    fediverse, anna = await _arrange(db, settings)
    stranger = "https://third.example/users/dan"
    fediverse.actor(stranger)
    before = await _graph(db)
    ghost = f"{settings.base_url}/members/ghost"
    assert (await receive(db, settings, fediverse, block(BOB, ghost, f"{BOB}#b2"))).status == (
        "ignored"
    )
    outcome = await receive(db, settings, fediverse, block(stranger, anna.uri, f"{stranger}#b"))
    assert outcome.status == "ignored"
    assert await _graph(db) == before
