"""A call fills when the acceptance of an application takes its last place, exactly as a
coordinator filling it by hand: Update to followers and peers, unpinned, the node's and the
topic feeds' boosts undone, off the board. A coordinator re-opens it (or adds a position), and
it is announced, pinned and boosted again as a new open call is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.node import get_node_actor
from smartnode.storage.models import Activity, Actor, ContentObject, Delivery
from smartnode.worker import Worker
from tests.conftest import make_member, make_project
from tests.content import activities, add_follower, member_headers, node_client
from tests.inbox import Fediverse
from tests.matching.feeds_arrange import feed, follower

PEER, PEER_INBOX = "https://be.smart.example/actor", "https://be.smart.example/inbox"
KIM, KIM_INBOX = "https://fans.example/users/kim", "https://fans.example/users/kim/inbox"
FAN, FAN_INBOX = "https://mastodon.example/users/fan", "https://mastodon.example/inbox"
AP = {"Accept": "application/activity+json"}


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(PEER, type="Application")
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def opera(db, settings, api, world):
    """anna coordinates Malmö Opera (followed by a Mastodon fan); bo and cleo are members who
    apply; the peer follows our node actor; kim follows a feed of Swedish calls. Yields the
    project, the headers of anna, bo and cleo, the node actor, the feed and a worker."""
    await make_member(db, settings, "anna")
    bo, cleo = await make_member(db, settings, "bo"), await make_member(db, settings, "cleo")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    async with db.session() as s:
        node = await get_node_actor(s)
        anna = await s.scalar(select(Actor).where(Actor.username == "anna"))
    assert node is not None and anna is not None
    await add_follower(db, node, PEER, shared_inbox=PEER_INBOX)
    await add_follower(db, project, FAN, shared_inbox=FAN_INBOX)
    sweden, _ = await feed(db, settings, "calls-se", country="SE")
    await follower(db, sweden, KIM, KIM_INBOX)
    heads = [await member_headers(db, who) for who in (anna, bo, cleo)]
    async with world.fetcher(settings) as fetcher:
        worker = Worker(settings, db, fetcher, signer=None, deliverer=None)
        yield project, heads, node, sweden, worker


async def drain(worker: Worker) -> None:
    """Run the worker until nothing is left: matching jobs, then the fan-outs they made."""
    for step in range(4):
        await worker.run_once(datetime.now(UTC) + timedelta(seconds=step + 5))


async def publish(api, project, anna, **fields) -> dict:
    body = {"title": "Dresser for Carmen", "description": "One dresser for the tour.",
            "place": {"country": "SE", "city": "Malmö"}, **fields}  # fmt: skip
    response = await api.post(f"/api/smart/v1/actors/{project.username}/calls", json=body,
                              headers=anna)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


async def apply_and_accept(api, call: dict, applicant: dict, anna: dict) -> httpx.Response:
    applied = await api.post("/api/smart/v1/applications", headers=applicant,
                             json={"call": call["uri"], "motivation": "I sew fast."})  # fmt: skip
    assert applied.status_code == 201, applied.text
    return await api.post(f"/api/smart/v1/applications/{applied.json()['id']}/accept", headers=anna)


async def inboxes(db, activity: Activity) -> set[str]:
    async with db.session() as s:
        query = select(Delivery.inbox_uri).where(Delivery.activity_id == activity.id)
        return set((await s.scalars(query)).all())


async def live_announcers(db) -> set[int]:
    """The actors whose Announce of a call no Undo took back."""
    undone = {u.document["object"]["id"] for u in await activities(db, "Undo")}
    return {a.actor_id for a in await activities(db, "Announce") if a.uri not in undone}


async def pins_of(db, project) -> list[Activity]:
    """The project's Adds to its featured collection (Mastodon pins on each)."""
    featured = f"{project.uri}/featured"
    return [a for a in await activities(db, "Add") if a.document.get("target") == featured]


async def call_state(db, uri: str) -> str | None:
    async with db.session() as s:
        return await s.scalar(select(ContentObject.state).where(ContentObject.uri == uri))


async def shown(api, project, call: dict) -> tuple[str, int, list[str], str]:
    """What people see: the API's state, the featured collection's size, the board's calls
    and the call's page."""
    state = (await api.get(f"/api/smart/v1/calls/{call['id']}")).json()["state"]
    featured = await api.get(f"/projects/{project.username}/featured", headers=AP)
    board = [item["uri"] for item in (await api.get("/api/smart/v1/board")).json()["items"]]
    page = (await api.get(f"/calls/{call['id']}", headers={"Accept": "text/html"})).text
    return state, featured.json()["totalItems"], board, page


async def test_accepting_the_last_place_fills_the_call_as_a_coordinator_would(
    api, db, opera
) -> None:
    project, (anna, bo, _), node, sweden, worker = opera
    call = await publish(api, project, anna, positions=1)
    await drain(worker)
    assert await live_announcers(db) == {node.id, sweden.id}

    accepted = await apply_and_accept(api, call, bo, anna)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    await drain(worker)

    assert await call_state(db, call["uri"]) == "filled"
    [update] = await activities(db, "Update")
    assert update.document["object"]["id"] == call["uri"]
    assert update.document["object"]["state"] == "filled"
    assert await inboxes(db, update) == {FAN_INBOX, PEER_INBOX}
    [remove] = await activities(db, "Remove")
    assert remove.document["target"] == f"{project.uri}/featured"
    assert await inboxes(db, remove) == {FAN_INBOX}
    undos = {u.actor_id: u for u in await activities(db, "Undo")}
    assert set(undos) == {node.id, sweden.id} and await live_announcers(db) == set()
    assert await inboxes(db, undos[sweden.id]) == {KIM_INBOX}
    assert await inboxes(db, undos[node.id]) == {PEER_INBOX}
    state, pinned, board, page = await shown(api, project, call)
    assert (state, pinned, board) == ("filled", 0, [])
    assert "This call is filled." in page
    again = await api.post(f"/api/smart/v1/calls/{call['id']}/fill", headers=anna)
    assert again.status_code == 409  # filled once, exactly as by hand


async def test_a_call_stays_open_until_its_last_place_is_taken(api, db, opera) -> None:
    project, (anna, bo, cleo), _, _, worker = opera
    call = await publish(api, project, anna, positions=2)
    assert (await apply_and_accept(api, call, bo, anna)).status_code == 200
    await drain(worker)
    assert await call_state(db, call["uri"]) == "open"
    assert await activities(db, "Update") == [] and await activities(db, "Remove") == []

    assert (await apply_and_accept(api, call, cleo, anna)).status_code == 200
    assert await call_state(db, call["uri"]) == "filled"
    [update] = await activities(db, "Update")
    assert update.document["object"]["state"] == "filled"


async def test_a_filled_call_reopened_is_announced_pinned_and_boosted_again(api, db, opera) -> None:
    project, (anna, bo, _), node, sweden, worker = opera
    call = await publish(api, project, anna, positions=1)
    await drain(worker)
    await apply_and_accept(api, call, bo, anna)
    await drain(worker)
    assert await live_announcers(db) == set()

    bo_says = await api.post(f"/api/smart/v1/calls/{call['id']}/reopen", headers=bo)
    assert bo_says.status_code == 403 and await call_state(db, call["uri"]) == "filled"
    reopened = await api.post(f"/api/smart/v1/calls/{call['id']}/reopen", headers=anna)
    assert reopened.status_code == 200 and reopened.json()["state"] == "open"
    await drain(worker)

    updates = await activities(db, "Update")
    assert [u.document["object"]["state"] for u in updates] == ["filled", "open"]
    assert await inboxes(db, updates[-1]) == {FAN_INBOX, PEER_INBOX}
    pins = await pins_of(db, project)
    assert len(pins) == 2 and await inboxes(db, pins[-1]) == {FAN_INBOX}
    assert await live_announcers(db) == {node.id, sweden.id}
    node_announces = [a for a in await activities(db, "Announce") if a.actor_id == node.id]
    assert len(node_announces) == 2 and await inboxes(db, node_announces[-1]) == {PEER_INBOX}
    state, pinned, board, page = await shown(api, project, call)
    assert (state, pinned, board) == ("open", 1, [call["uri"]])
    assert "Open call" in page
    twice = await api.post(f"/api/smart/v1/calls/{call['id']}/reopen", headers=anna)
    assert twice.status_code == 409


async def test_adding_a_position_to_a_filled_call_reopens_it(api, db, opera) -> None:
    project, (anna, bo, cleo), node, sweden, worker = opera
    call = await publish(api, project, anna, positions=1)
    await apply_and_accept(api, call, bo, anna)
    await drain(worker)
    edited = await api.patch(f"/api/smart/v1/calls/{call['id']}",
                             json={"description": "Still one."}, headers=anna)  # fmt: skip
    assert edited.status_code == 200 and edited.json()["state"] == "filled"

    more = await api.patch(f"/api/smart/v1/calls/{call['id']}", json={"positions": 2}, headers=anna)
    assert more.status_code == 200 and more.json()["state"] == "open"
    await drain(worker)
    assert [u.document["object"]["state"] for u in await activities(db, "Update")] == [
        "filled", "filled", "open"]  # fmt: skip
    assert await live_announcers(db) == {node.id, sweden.id}
    assert len(await pins_of(db, project)) == 2

    assert (await apply_and_accept(api, call, cleo, anna)).status_code == 200
    assert await call_state(db, call["uri"]) == "filled"


async def test_a_call_past_its_deadline_is_not_reopened(api, db, opera) -> None:
    project, (anna, bo, _), _, _, _ = opera
    soon = datetime.now(UTC) + timedelta(hours=1)
    call = await publish(api, project, anna, positions=1, closes_at=soon.isoformat())
    await apply_and_accept(api, call, bo, anna)
    async with db.session() as s, s.begin():
        row = await s.scalar(select(ContentObject).where(ContentObject.uri == call["uri"]))
        assert row is not None
        row.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    refused = await api.post(f"/api/smart/v1/calls/{call['id']}/reopen", headers=anna)
    assert refused.status_code == 409 and "deadline" in refused.json()["error"]
    assert await call_state(db, call["uri"]) == "filled"
