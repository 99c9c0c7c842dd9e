"""Topic feeds stay truthful when calls change: a feed's followers receive Undo{Announce} (the
Announce embedded with its id, by the same feed, addressed as it was) when a call the feed
announced closes, is deleted or stops matching — ours or another node's — a call that
re-opens or newly matches is announced again, and RSS lists only open matching calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import orjson
import pytest
from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.content.calls import create_call, edit_call, set_state
from smartnode.content.calls_inputs import CallInput, CallUpdate
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models import Activity, Actor, ContentObject
from smartnode.worker import Worker
from tests.conftest import make_member, make_project
from tests.content import activity
from tests.inbox import Fediverse, receive
from tests.inbox.test_calls_inbound import CALL, PEER, PROJECT, call_doc, node_follows
from tests.matching.feeds_arrange import NOW, feed, follower
from tests.outbox.receivers import Receiver

KIM = "https://fans.example/users/kim"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(PEER, type="Application")
    fediverse.actor(PROJECT, type="Group")
    fediverse.serve(CALL, call_doc())
    return fediverse


async def drain(worker: Worker, at: datetime) -> None:
    """Worker rounds: the call's job, then the fan-outs it made and their deliveries."""
    for step in range(3):
        await worker.run_once(at + timedelta(seconds=step))


def wire(fans: Receiver, kind: str) -> list[dict[str, Any]]:
    """The activities of a type kim's inbox received, verified as signed by the feed."""
    found = [orjson.loads(seen.body) for seen in fans.on("fans.example") if seen.scheme]
    return [doc for doc in found if doc["type"] == kind]


def assert_undoes(undo: dict[str, Any], announce: dict[str, Any]) -> None:
    """Mastodon's shape: the same actor undoes the Announce, found by its embedded id."""
    assert undo["actor"] == announce["actor"]
    assert undo["object"] == {"id": announce["id"], "type": "Announce",
                              "actor": announce["actor"], "object": announce["object"]}  # fmt: skip
    assert (undo["to"], undo["cc"]) == (announce["to"], announce["cc"]) == ([PUBLIC], undo["cc"])


async def rss_titles(client, slug: str) -> list[str | None]:
    response = await client.get(f"/feeds/{slug}.rss")
    assert response.status_code == 200
    return [item.findtext("title") for item in ET.fromstring(response.content).iter("item")]


async def our_call(db, settings, project: Actor, country: str) -> ContentObject:
    """An open public call published through the calls service."""
    data = CallInput.model_validate({
        "title": "Stagehands for Tosca", "description": "Three stagehands.",
        "place": {"country": country, "city": "Malmö"}, "closes_at": NOW + timedelta(days=365),
    })  # fmt: skip
    async with db.session() as s, s.begin():
        return await create_call(s, node_uris(settings), project=project, data=data, now=NOW)


async def announces_by(db, feed_actor: Actor) -> list[Activity]:
    async with db.session() as s:
        query = select(Activity).where(
            Activity.actor_id == feed_actor.id, Activity.activity_type == "Announce"
        )
        return list((await s.scalars(query.order_by(Activity.id))).all())


async def test_closing_our_call_sends_undo_of_the_feeds_announce_and_rss_drops_it(
    db, settings, worker, fans, client
) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna")
    sweden, _ = await feed(db, settings, "calls-se", country="SE")
    fans.public_pem = sweden.public_key_pem
    await follower(db, sweden, KIM, fans.url("fans.example"))
    opening = await our_call(db, settings, opera, "SE")
    await drain(worker, NOW)
    [announce] = wire(fans, "Announce")
    assert (announce["actor"], announce["object"]) == (sweden.uri, opening.uri)
    assert await rss_titles(client, "calls-se") == ["Stagehands for Tosca"]

    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, opening.id)
        assert row is not None
        await set_state(s, node_uris(settings), row, "closed", NOW + timedelta(minutes=1))
    await drain(worker, NOW + timedelta(minutes=1))

    [undo] = wire(fans, "Undo")
    assert_undoes(undo, announce)
    assert [s.key_id for s in fans.on("fans.example")] == [f"{sweden.uri}#main-key"] * 2
    assert await rss_titles(client, "calls-se") == []
    outbox = await client.get("/feeds/calls-se/outbox", headers={"Accept": "application/json"})
    assert outbox.json()["totalItems"] == 0


async def test_an_edit_moves_our_call_from_one_feed_to_another_and_back(
    db, settings, worker, fans
) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna")
    sweden, _ = await feed(db, settings, "calls-se", country="SE")
    belgium, _ = await feed(db, settings, "calls-be", country="BE")
    fans.public_pem = sweden.public_key_pem
    await follower(db, sweden, KIM, fans.url("fans.example"))
    opening = await our_call(db, settings, opera, "SE")
    await drain(worker, NOW)

    async def move_to(country: str, minutes: int) -> None:
        moment = NOW + timedelta(minutes=minutes)
        async with db.session() as s, s.begin():
            row = await s.get(ContentObject, opening.id)
            assert row is not None
            change = CallUpdate.model_validate({"place": {"country": country, "city": "X"}})
            await edit_call(s, node_uris(settings), row, change, moment)
        await drain(worker, moment)

    await move_to("BE", 1)  # no longer Swedish: Undo to kim; the Belgian feed announces it
    [first] = wire(fans, "Announce")
    [undo] = wire(fans, "Undo")
    assert_undoes(undo, first)
    [in_belgium] = await announces_by(db, belgium)
    assert in_belgium.object_uri == opening.uri

    await move_to("SE", 2)  # Swedish again: a new boost for kim, the Belgian one undone
    announced = wire(fans, "Announce")
    assert [a["object"] for a in announced] == [opening.uri] * 2
    assert announced[1]["id"] != first["id"] and len(wire(fans, "Undo")) == 1
    async with db.session() as s:
        undos = (await s.scalars(select(Activity).where(Activity.activity_type == "Undo"))).all()
    assert {(u.actor_id, u.object_uri) for u in undos} == {
        (sweden.id, first["id"]), (belgium.id, in_belgium.uri)}  # fmt: skip


async def _remote_call_on_a_feed(db, settings, world, worker, fans) -> dict[str, Any]:
    """A peer's call received through its node actor's Announce and announced by our Belgian
    feed to kim; the Announce as kim received it."""
    belgium, _ = await feed(db, settings, "calls-be", country="BE")
    fans.public_pem = belgium.public_key_pem
    await follower(db, belgium, KIM, fans.url("fans.example"))
    await node_follows(db, settings, world, PEER)
    outcome = await receive(db, settings, world, activity("Announce", PEER, call_doc()))
    assert outcome.status == "processed", outcome
    await drain(worker, NOW)
    [announce] = wire(fans, "Announce")
    assert (announce["actor"], announce["object"]) == (belgium.uri, CALL)
    assert announce["cc"] == [PROJECT, f"{belgium.uri}/followers"]
    return announce


async def test_a_remote_call_updated_to_closed_is_undone_and_announced_when_it_reopens(
    db, settings, world, worker, fans, client
) -> None:
    announce = await _remote_call_on_a_feed(db, settings, world, worker, fans)
    assert await rss_titles(client, "calls-be") == ["Stagehands"]

    closed = call_doc(state="closed", updated="2026-11-26T11:00:00Z")
    outcome = await receive(db, settings, world, activity("Update", PROJECT, closed))
    assert outcome.status == "processed", outcome
    await drain(worker, NOW + timedelta(minutes=1))
    [undo] = wire(fans, "Undo")
    assert_undoes(undo, announce)
    assert await rss_titles(client, "calls-be") == []

    reopened = call_doc(state="open", updated="2026-11-26T11:30:00Z")
    outcome = await receive(db, settings, world, activity("Update", PROJECT, reopened))
    assert outcome.status == "processed", outcome
    await drain(worker, NOW + timedelta(minutes=2))
    again = wire(fans, "Announce")
    assert len(again) == 2 and again[1]["id"] != announce["id"] and again[1]["object"] == CALL
    assert await rss_titles(client, "calls-be") == ["Stagehands"]


async def test_a_remote_call_deleted_by_its_project_is_undone(
    db, settings, world, worker, fans, client
) -> None:
    announce = await _remote_call_on_a_feed(db, settings, world, worker, fans)
    gone = {"id": CALL, "type": "Tombstone"}
    outcome = await receive(db, settings, world, activity("Delete", PROJECT, gone))
    assert outcome.status == "processed", outcome
    await drain(worker, NOW + timedelta(minutes=1))
    [undo] = wire(fans, "Undo")
    assert_undoes(undo, announce)
    assert await rss_titles(client, "calls-be") == []
    again = await receive(db, settings, world, activity("Delete", PROJECT, gone))
    assert again.status == "ignored"  # deleted already: no second Undo
    await drain(worker, NOW + timedelta(minutes=2))
    assert len(wire(fans, "Undo")) == 1
