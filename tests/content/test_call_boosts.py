"""Boosts that end with the call: closing, filling or deleting one of our calls undoes the node
actor's Announce (to the peers) and each topic feed's Announce (to its followers) — once, with
the Announce embedded, addressed as it was, and delivered to the same inboxes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.node import get_node_actor
from smartnode.federation.vocab import PUBLIC
from smartnode.matching.curated import load_seed
from smartnode.storage.models import Activity, Actor, Delivery
from smartnode.worker import Worker
from tests.conftest import make_member, make_project
from tests.content import activities, add_follower, member_headers, node_client
from tests.inbox import Fediverse
from tests.matching.feeds_arrange import feed, follower

PEER = "https://be.smart.example/actor"
PEER_INBOX = "https://be.smart.example/inbox"
KIM = "https://fans.example/users/kim"
KIM_INBOX = "https://fans.example/users/kim/inbox"
DANCER = "http://data.europa.eu/esco/occupation/07b91f36-8272-493a-8e1c-5625e77efe68"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(PEER, type="Application")
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with db.session() as s, s.begin():
        await load_seed(s, datetime.now(UTC))
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def setup(db, settings, api, world):
    """anna coordinates Malmö Opera; the peer follows our node actor; kim follows a feed of
    Swedish calls. Returns the project, anna's headers, the node actor, the feed and a worker."""
    await make_member(db, settings, "anna")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    async with db.session() as s:
        node = await get_node_actor(s)
        anna = await s.scalar(select(Actor).where(Actor.username == "anna"))
    assert node is not None and anna is not None
    await add_follower(db, node, PEER, shared_inbox=PEER_INBOX)
    sweden, _ = await feed(db, settings, "calls-se", country="SE")
    await follower(db, sweden, KIM, KIM_INBOX)
    async with world.fetcher(settings) as fetcher:
        worker = Worker(settings, db, fetcher, signer=None, deliverer=None)
        yield project, await member_headers(db, anna), node, sweden, worker


def later(seconds: int = 5) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def publish_call(api, project, headers, **fields) -> dict:
    body = {
        "title": "Dancers for Carmen", "description": "We look for two dancers.",
        "occupation": DANCER, "place": {"country": "SE", "city": "Malmö"}, **fields,
    }  # fmt: skip
    response = await api.post(f"/api/smart/v1/actors/{project.username}/calls", json=body,
                              headers=headers)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


async def drain(worker: Worker) -> None:
    """Run the worker until nothing is left: matching jobs, then the fan-outs they made."""
    for step in range(4):
        await worker.run_once(later(step + 5))


async def inboxes(db, activity: Activity) -> set[str]:
    async with db.session() as s:
        query = select(Delivery.inbox_uri).where(Delivery.activity_id == activity.id)
        rows = await s.scalars(query)
        return set(rows.all())


async def by_actor(db, kind: str) -> dict[int, Activity]:
    found = await activities(db, kind)
    assert len({a.actor_id for a in found}) == len(found)  # at most one each
    return {a.actor_id: a for a in found}


async def assert_undone(db, node: Actor, sweden: Actor) -> None:
    """Each Announce has exactly one Undo by its actor, embedding it, addressed and delivered
    as it was."""
    announces, undos = await by_actor(db, "Announce"), await by_actor(db, "Undo")
    assert set(undos) == set(announces) == {node.id, sweden.id}
    for actor_id, announce in announces.items():
        sent, undo = announce.document, undos[actor_id].document
        assert undo["actor"] == sent["actor"]
        assert undo["object"] == {"id": sent["id"], "type": "Announce",
                                  "actor": sent["actor"], "object": sent["object"]}  # fmt: skip
        assert (undo["to"], undo["cc"]) == (sent["to"], sent["cc"]) and PUBLIC in undo["to"]
        assert undos[actor_id].object_uri == announce.uri
    assert await inboxes(db, announces[node.id]) == {PEER_INBOX}
    assert await inboxes(db, undos[node.id]) == {PEER_INBOX}
    assert await inboxes(db, announces[sweden.id]) == {KIM_INBOX}
    assert await inboxes(db, undos[sweden.id]) == {KIM_INBOX}


async def test_closing_a_call_undoes_the_node_and_feed_announces_once(api, db, setup) -> None:
    project, anna, node, sweden, worker = setup
    call = await publish_call(api, project, anna)
    await drain(worker)
    announces = await activities(db, "Announce")
    assert {a.actor_id for a in announces} == {node.id, sweden.id}
    assert {a.document["object"] for a in announces} == {call["uri"]}
    assert await activities(db, "Undo") == []

    closed = await api.post(f"/api/smart/v1/calls/{call['id']}/close", headers=anna)
    assert closed.status_code == 200, closed.text
    await drain(worker)
    await assert_undone(db, node, sweden)

    again = await api.post(f"/api/smart/v1/calls/{call['id']}/close", headers=anna)
    assert again.status_code == 409
    filled = await api.post(f"/api/smart/v1/calls/{call['id']}/fill", headers=anna)
    assert filled.status_code == 200
    assert (await api.delete(f"/api/smart/v1/calls/{call['id']}", headers=anna)).status_code == 204
    await drain(worker)
    assert len(await activities(db, "Undo")) == 2  # no second Undo
    assert len(await activities(db, "Announce")) == 2  # and no new boost
    [delete] = await activities(db, "Delete")
    assert await inboxes(db, delete) == {PEER_INBOX}


async def test_a_call_past_its_deadline_is_closed_by_the_worker_like_a_coordinator_would(
    api, db, setup
) -> None:
    project, anna, node, sweden, worker = setup
    deadline = datetime.now(UTC) + timedelta(hours=2)
    call = await publish_call(api, project, anna, closes_at=deadline.isoformat())
    await drain(worker)
    assert await activities(db, "Update") == []
    await worker.run_once(deadline + timedelta(minutes=1))
    shown = (await api.get(f"/api/smart/v1/calls/{call['id']}")).json()
    assert shown["state"] == "closed"
    [update] = await activities(db, "Update")
    assert update.document["object"]["id"] == call["uri"]
    assert update.document["object"]["state"] == "closed"
    [remove] = await activities(db, "Remove")
    assert remove.document["target"] == f"{project.uri}/featured"
    for step in range(4):
        await worker.run_once(deadline + timedelta(minutes=2 + step))
    await assert_undone(db, node, sweden)
    assert len(await activities(db, "Update")) == 1  # closed once, never again


async def test_deleting_an_open_call_undoes_its_announces(api, db, setup) -> None:
    project, anna, node, sweden, worker = setup
    call = await publish_call(api, project, anna)
    await drain(worker)

    assert (await api.delete(f"/api/smart/v1/calls/{call['id']}", headers=anna)).status_code == 204
    await drain(worker)

    await assert_undone(db, node, sweden)
    [undo_node] = [u for u in await activities(db, "Undo") if u.actor_id == node.id]
    [delete] = await activities(db, "Delete")
    assert undo_node.id < delete.id  # the boost goes before the call does


async def test_a_call_closed_before_the_feeds_ran_is_never_announced_by_them(
    api, db, setup
) -> None:
    project, anna, node, sweden, worker = setup
    call = await publish_call(api, project, anna)
    closed = await api.post(f"/api/smart/v1/calls/{call['id']}/close", headers=anna)
    assert closed.status_code == 200

    await drain(worker)  # the matching job finds the call closed

    [announce] = await activities(db, "Announce")
    [undo] = await activities(db, "Undo")
    assert announce.actor_id == undo.actor_id == node.id
    assert undo.document["object"]["id"] == announce.uri
    assert await inboxes(db, undo) == {PEER_INBOX}
    assert all(a.actor_id != sweden.id for a in await activities(db))


async def test_an_unlisted_call_has_no_boost_to_undo(api, db, setup) -> None:
    project, anna, _, _, worker = setup
    call = await publish_call(api, project, anna, visibility="unlisted")
    await drain(worker)
    closed = await api.post(f"/api/smart/v1/calls/{call['id']}/close", headers=anna)
    assert closed.status_code == 200
    await drain(worker)
    assert await activities(db, "Announce") == [] and await activities(db, "Undo") == []
    [update] = await activities(db, "Update")
    assert update.document["object"]["state"] == "closed"
