"""Update of an actor: only by itself, refetched from its origin, never a silent key swap."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from smartnode.actors.remote import remote_actor_from_ap, store_remote_actor
from smartnode.storage.models import Actor
from tests.conftest import make_member
from tests.inbox import AS, NOW, OTHER_PEM, PEM, Fediverse, receive

ALICE = "https://mastodon.example/users/alice"
BOB = "https://remote.example/users/bob"


def update(actor: str, obj: Any, update_id: str | None = None) -> dict[str, Any]:
    return {"@context": AS, "id": update_id or f"{actor}#updates/1", "type": "Update",
            "actor": actor, "object": obj}  # fmt: skip


async def _stored(db, fediverse: Fediverse, uri: str) -> dict[str, Any]:
    doc = fediverse.actor(uri, name="Before")
    async with db.session() as s, s.begin():
        await store_remote_actor(s, remote_actor_from_ap(doc), NOW)
    return doc


async def _row(db, uri: str) -> Actor:
    async with db.session() as s:
        row = await s.scalar(select(Actor).where(Actor.uri == uri))
    assert row is not None
    return row


async def test_update_refetches_the_actor_and_ignores_the_embedded_copy(db, settings) -> None:
    fediverse = Fediverse()
    doc = await _stored(db, fediverse, ALICE)
    fediverse.actor(ALICE, name="Alice Served", summary="<p>from origin</p>")
    embedded = {**copy.deepcopy(doc), "name": "Embedded Lie", "inbox": "https://evil.example/in"}

    outcome = await receive(db, settings, fediverse, update(ALICE, embedded))

    assert outcome.status == "processed"
    assert fediverse.fetched() == [ALICE, Fediverse.fingered("alice@mastodon.example")]
    row = await _row(db, ALICE)
    assert (row.name, row.summary, row.inbox_uri) == (
        "Alice Served",
        "<p>from origin</p>",
        f"{ALICE}/inbox",
    )


async def test_update_that_swaps_the_key_is_refused(db, settings) -> None:
    fediverse = Fediverse()
    doc = await _stored(db, fediverse, ALICE)
    fediverse.actor(ALICE, pem=OTHER_PEM, name="Swapped")
    outcome = await receive(db, settings, fediverse, update(ALICE, doc))
    assert outcome.status == "ignored"
    row = await _row(db, ALICE)
    assert (row.public_key_pem, row.name) == (PEM, "Before")


async def test_update_of_another_actor_is_ignored_and_fetches_nothing(db, settings) -> None:
    fediverse = Fediverse()
    alice_doc = await _stored(db, fediverse, ALICE)
    await _stored(db, fediverse, BOB)
    forged = {**alice_doc, "name": "Owned by bob"}
    outcome = await receive(db, settings, fediverse, update(BOB, forged))
    assert outcome.status == "ignored" and "only update itself" in outcome.reason
    assert fediverse.fetched() == []
    assert (await _row(db, ALICE)).name == "Before"


async def test_update_of_a_local_actor_leaves_its_row_alone(db, settings) -> None:
    anna = await make_member(db, settings, "anna", name="Anna")
    fediverse = Fediverse()
    await _stored(db, fediverse, ALICE)
    forged = {"id": anna.uri, "type": "Person", "name": "Hacked"}
    outcome = await receive(db, settings, fediverse, update(ALICE, forged))
    assert outcome.status == "ignored"
    row = await _row(db, anna.uri)
    assert row.local and row.name == "Anna" and row.public_key_pem == anna.public_key_pem


async def test_update_whose_id_is_on_another_origin_is_ignored(db, settings) -> None:
    fediverse = Fediverse()
    doc = await _stored(db, fediverse, ALICE)
    fediverse.actor(ALICE, name="Changed")
    outcome = await receive(
        db, settings, fediverse, update(ALICE, doc, "https://evil.example/updates/1")
    )
    assert outcome.status == "ignored" and "origin" in outcome.reason
    assert (await _row(db, ALICE)).name == "Before"


async def test_update_of_a_note_we_do_not_store_is_ignored(db, settings) -> None:
    fediverse = Fediverse()
    await _stored(db, fediverse, ALICE)
    note = {"id": "https://mastodon.example/statuses/1", "type": "Note", "content": "edited"}
    outcome = await receive(db, settings, fediverse, update(ALICE, note))
    assert outcome.status == "ignored" and "do not store" in outcome.reason
    assert fediverse.fetched() == []
