"""Block: a remote actor blocking a local one cuts the follows between them, both ways (an
Undo of our follow and a Reject of theirs go back, as Mastodon sends), and is kept as the
member's `blocked_by`; Undo(Block) removes it; a Follow from an actor the member blocks gets
a Reject."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from smartnode.storage.models import Activity, Actor, Follow
from smartnode.storage.models_blocks import AccountBlock
from tests.conftest import make_member
from tests.inbox import AS, NOW, Fediverse, count, follow_activity, receive

BOB = "https://remote.example/users/bob"
CAROL = "https://other.example/users/carol"


def block(actor: str, target: str, block_id: str) -> dict[str, Any]:
    return {"@context": AS, "id": block_id, "type": "Block", "actor": actor, "object": target}


async def _graph(db) -> set[tuple[str, str]]:
    async with db.session() as s:
        names = {a.id: a.username for a in (await s.scalars(select(Actor))).all()}
        rows = (await s.scalars(select(Follow))).all()
    return {(names[r.follower_id], names[r.followed_id]) for r in rows}


async def _blocks(db) -> list[tuple[str, str, str | None]]:
    async with db.session() as s:
        names = {a.id: a.username for a in (await s.scalars(select(Actor))).all()}
        rows = (await s.scalars(select(AccountBlock).order_by(AccountBlock.id))).all()
    return [(names[r.actor_id], names[r.target_id], r.uri) for r in rows]


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
    assert await count(db, Activity) == 0  # follows without ids (made here): nothing to answer
    assert await _blocks(db) == [("bob", "anna", f"{BOB}#blocks/1")]


async def test_block_of_an_unknown_local_actor_is_ignored_and_a_strangers_only_kept(
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
    assert await _blocks(db) == []
    outcome = await receive(db, settings, fediverse, block(stranger, anna.uri, f"{stranger}#b"))
    assert outcome.status == "processed"
    assert await _graph(db) == before
    assert await _blocks(db) == [("dan", "anna", f"{stranger}#b")]
    forged = await receive(db, settings, fediverse, block(stranger, anna.uri, f"{BOB}#b3"))
    assert forged.status == "ignored"  # a Block id on another origin


async def test_a_block_answers_follows_that_have_ids_as_mastodon_does(db, settings) -> None:
    fediverse, anna = await _arrange(db, settings)
    async with db.session() as s, s.begin():
        ids = {a.username: a.id for a in (await s.scalars(select(Actor))).all()}
        for row in (await s.scalars(select(Follow))).all():
            if {row.follower_id, row.followed_id} == {ids["anna"], ids["bob"]}:
                theirs = row.follower_id == ids["bob"]
                row.uri = f"{BOB}#follows/{row.id}" if theirs else f"{anna.uri}#follows/{row.id}"
    assert (await receive(db, settings, fediverse, block(BOB, anna.uri, f"{BOB}#b"))).status == (
        "processed"
    )
    async with db.session() as s:
        sent = (await s.scalars(select(Activity).order_by(Activity.id))).all()
    assert [(a.activity_type, a.document["to"]) for a in sent] == [
        ("Undo", [BOB]),
        ("Reject", [BOB]),
    ]
    undo, reject = (a.document["object"] for a in sent)
    assert (undo["type"], undo["actor"], undo["object"]) == ("Follow", anna.uri, BOB)
    assert (reject["type"], reject["actor"], reject["object"]) == ("Follow", BOB, anna.uri)
    assert reject["id"].startswith(f"{BOB}#follows/") and undo["id"].startswith(anna.uri)


async def test_a_repeated_block_renews_its_id_and_undo_removes_it(db, settings) -> None:
    fediverse, anna = await _arrange(db, settings)
    await receive(db, settings, fediverse, block(BOB, anna.uri, f"{BOB}#blocks/1"))
    again = await receive(db, settings, fediverse, block(BOB, anna.uri, f"{BOB}#blocks/2"))
    assert again.status == "processed" and await _blocks(db) == [("bob", "anna", f"{BOB}#blocks/2")]
    someone_elses = {"@context": AS, "id": f"{CAROL}#u", "type": "Undo", "actor": CAROL,
                     "object": block(BOB, anna.uri, f"{BOB}#blocks/2")}  # fmt: skip
    assert (await receive(db, settings, fediverse, someone_elses)).status == "ignored"
    by_id = {"@context": AS, "id": f"{BOB}#undo", "type": "Undo", "actor": BOB,
             "object": f"{BOB}#blocks/2"}  # fmt: skip
    assert (await receive(db, settings, fediverse, by_id)).status == "processed"
    assert await _blocks(db) == []
    await receive(db, settings, fediverse, block(BOB, anna.uri, f"{BOB}#blocks/3"))
    embedded = {"@context": AS, "id": f"{BOB}#undo2", "type": "Undo", "actor": BOB,
                "object": {"type": "Block", "actor": BOB, "object": anna.uri}}  # fmt: skip
    assert (await receive(db, settings, fediverse, embedded)).status == "processed"
    assert await _blocks(db) == []


async def test_a_follow_from_a_blocked_actor_is_rejected(db, settings) -> None:
    fediverse, anna = await _arrange(db, settings)
    async with db.session() as s, s.begin():
        bob = await s.scalar(select(Actor).where(Actor.uri == BOB))
        assert bob is not None
        await s.execute(delete(Follow))
        s.add(AccountBlock(actor_id=anna.id, target_id=bob.id, created_at=NOW))
    follow = follow_activity(BOB, anna.uri, f"{BOB}#follows/9")
    outcome = await receive(db, settings, fediverse, follow)
    assert outcome.status == "processed" and "blocked" in outcome.reason
    assert await count(db, Follow) == 0
    async with db.session() as s:
        [sent] = (await s.scalars(select(Activity))).all()
    assert (sent.activity_type, sent.actor_id, sent.document["to"]) == ("Reject", anna.id, [BOB])
    assert sent.document["object"]["id"] == f"{BOB}#follows/9"
