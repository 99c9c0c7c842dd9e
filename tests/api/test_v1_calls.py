"""/api/smart/v1/actors/{slug}/calls, /api/smart/v1/calls/{id}, /api/smart/v1/board: coordinator
auth, the rows
written, the Create/Update/Delete and the node's Announce on the wire, the featured collection
and /calls/{token} as served (410 Tombstone after delete)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.node import get_node_actor
from smartnode.actors.projects import Role, add_to_team
from smartnode.federation.vocab import PUBLIC
from smartnode.matching.curated import load_seed
from smartnode.matching.notify import MATCH_CALL
from smartnode.storage.models import Job
from tests.conftest import make_member, make_project
from tests.content import activities, add_follower, fan_out, member_headers, node_client, objects
from tests.inbox import Fediverse

ALICE = "https://mastodon.example/users/alice"
PEER = "https://be.smart.example/actor"
AP = {"Accept": "application/activity+json"}
DANCER = "http://data.europa.eu/esco/occupation/07b91f36-8272-493a-8e1c-5625e77efe68"
PERFORM = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"
TEACH = "http://data.europa.eu/esco/skill/c6f88b89-ce2c-4b8c-a133-7ee95bc48efa"
LATER = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    fediverse.actor(PEER, type="Application")
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with db.session() as s, s.begin():
        await load_seed(s, datetime.now(UTC))
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def team(db, settings, api):
    """anna coordinates Malmö Opera, bo is a plain member of its team; both have tokens."""
    anna = await make_member(db, settings, "anna", language="sv")
    bo = await make_member(db, settings, "bo")
    project = await make_project(db, settings, "Malmö Opera", "anna", language="sv")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.MEMBER, anna.created_at)
    return project, await member_headers(db, anna), await member_headers(db, bo)


def body(**fields) -> dict:
    return {
        "title": "Dancers for Carmen",
        "description": "We look for two dancers. #Opera",
        "content_map": {"en": "We look for two dancers."},
        "occupation": DANCER,
        "skills": [PERFORM, TEACH],
        "languages": ["sv", "en"],
        "starts_on": "2027-03-01",
        "ends_on": "2027-04-30",
        "place": {"country": "SE", "city": "Malmö"},
        "closes_at": LATER.isoformat(),
        "positions": 2,
        "effort": {"amount": 40, "unit": "day"},
        "paid": {"amount": "3000.00", "currency": "EUR", "unit": "month"},
        "hashtags": ["dance"],
        **fields,
    }


async def publish_call(api, project, headers, **fields) -> httpx.Response:
    return await api.post(f"/api/smart/v1/actors/{project.username}/calls", json=body(**fields),
                          headers=headers)  # fmt: skip


async def test_coordinator_publishes_a_call_created_announced_pinned_and_matched(
    api, db, settings, team
) -> None:
    project, anna, _ = team
    await add_follower(db, project, ALICE, shared_inbox="https://mastodon.example/inbox")
    node = await get_node_actor_of(db)
    await add_follower(db, node, PEER, shared_inbox="https://be.smart.example/inbox")
    response = await publish_call(api, project, anna)
    assert response.status_code == 201, response.text
    out = response.json()
    assert response.headers["location"] == f"{settings.base_url}/api/smart/v1/calls/{out['id']}"
    assert out["uri"] == f"{settings.base_url}/calls/{out['id']}" and out["state"] == "open"
    assert [s["uri"] for s in out["skills"]] == [PERFORM, TEACH]
    assert out["hashtags"] == ["Opera", "Dance", "PerformDances", "TeachDance"]
    assert out["skills"][0]["name"] == "framföra dans"  # labels in the call's language
    assert out["paid"] == {"amount": "3000", "currency": "EUR", "unit": "month"}
    assert out["effort"] == {"amount": "40", "unit": "day"}
    [row] = await objects(db)
    assert (row.kind, row.ap_type, row.state, row.local, row.visibility) == (
        "call", "Note", "open", True, "public")  # fmt: skip
    assert row.closes_at == LATER and row.starts_at == datetime(2027, 3, 1, tzinfo=UTC)
    assert row.extra["call"]["country"] == "SE" and row.extra["source"]["title"] == out["title"]
    [create] = await activities(db, "Create")
    note = create.document["object"]
    assert note["type"] == "Note" and "summary" not in note and note["purpose"] == "request"
    assert note["content"].startswith("<p><strong>Dancers for Carmen</strong></p>")
    assert list(note["contentMap"]) == ["sv", "en"]
    assert note["publishes"]["resourceConformsTo"] == DANCER
    assert note["reciprocal"]["resourceQuantity"] == {"hasUnit": "EUR", "hasNumericalValue": "3000"}
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]
    [announce] = await activities(db, "Announce")
    assert announce.actor_id == node.id and announce.document["object"] == row.uri
    assert announce.document["to"] == [PUBLIC]
    assert await fan_out(db, settings, announce) == ["https://be.smart.example/inbox"]
    [add] = await activities(db, "Add")  # Interop: Mastodon pins on Add to featured
    assert (add.actor_id, add.document["object"]) == (project.id, row.uri)
    assert add.document["target"] == f"{project.uri}/featured"
    assert await fan_out(db, settings, add) == ["https://mastodon.example/inbox"]
    async with db.session() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == MATCH_CALL))).all()
    assert [j.payload for j in jobs] == [{"call_id": row.id}]
    featured = (await api.get(f"/projects/{project.username}/featured", headers=AP)).json()
    assert featured["totalItems"] == 1 and featured["orderedItems"][0]["id"] == row.uri
    assert featured["orderedItems"][0]["type"] == "Note"
    served = (await api.get(f"/calls/{out['id']}", headers=AP)).json()
    assert {k: v for k, v in served.items() if k != "@context"} == note
    assert "publishes" in served["@context"][-1]
    page = await api.get(f"/calls/{out['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Dancers for Carmen" in page.text


async def get_node_actor_of(db):
    async with db.session() as s:
        node = await get_node_actor(s)
    assert node is not None
    return node


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        ({"occupation": "http://data.europa.eu/esco/occupation/nope"}, "occupation"),
        ({"occupation": PERFORM}, "occupation"),
        ({"skills": ["http://data.europa.eu/esco/skill/nope"]}, "skills"),
        ({"skills": ["https://example.com/skill"]}, "skills"),
        ({"place": None, "remote": False}, "place"),
        ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
        ({"starts_on": "2027-05-01"}, "ends_on"),
        ({"positions": 0}, "positions"),
        ({"paid": {"amount": 1, "currency": "euro"}}, "currency"),
        ({"effort": {"amount": 1, "unit": "year"}}, "effort"),
        ({"visibility": "direct"}, "visibility"),
        ({"place": {"country": "Sweden"}}, "country"),
    ],
)
async def test_bad_input_is_a_clear_422_and_nothing_is_stored(api, db, team, fields, word) -> None:
    project, anna, _ = team
    response = await publish_call(api, project, anna, **fields)
    assert response.status_code == 422, response.text
    assert word in response.json()["error"]
    assert await objects(db) == [] and await activities(db) == []


async def test_only_a_coordinator_publishes_and_only_as_a_project(api, db, team) -> None:
    project, anna, bo = team
    assert (await publish_call(api, project, bo)).status_code == 403
    assert (await publish_call(api, project, {})).status_code == 401
    as_member = await api.post("/api/smart/v1/actors/anna/calls", json=body(), headers=anna)
    assert as_member.status_code == 403 and "project" in as_member.json()["error"]
    assert await objects(db) == []


async def test_close_and_fill_send_update_unpin_and_leave_the_board(
    api, db, settings, team
) -> None:
    project, anna, bo = team
    node = await get_node_actor_of(db)
    await add_follower(db, node, PEER, shared_inbox="https://be.smart.example/inbox")
    out = (await publish_call(api, project, anna)).json()
    board = (await api.get("/api/smart/v1/board")).json()
    assert [c["uri"] for c in board["items"]] == [out["uri"]]
    assert (await api.post(f"/api/smart/v1/calls/{out['id']}/close", headers=bo)).status_code == 403
    closed = await api.post(f"/api/smart/v1/calls/{out['id']}/close", headers=anna)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = await api.post(f"/api/smart/v1/calls/{out['id']}/close", headers=anna)
    assert again.status_code == 409
    [update] = await activities(db, "Update")
    assert update.document["object"]["state"] == "closed"
    assert "Status: stängd" in update.document["object"]["content"]
    assert "Status: closed" in update.document["object"]["contentMap"]["en"]
    assert PEER in update.document["cc"]
    assert await fan_out(db, settings, update) == ["https://be.smart.example/inbox"]
    assert (await api.get("/api/smart/v1/board")).json()["items"] == []
    featured = (await api.get(f"/projects/{project.username}/featured", headers=AP)).json()
    assert featured["totalItems"] == 0
    [remove] = await activities(db, "Remove")
    assert remove.document["object"] == out["uri"]
    assert remove.document["target"] == f"{project.uri}/featured"
    filled = await api.post(f"/api/smart/v1/calls/{out['id']}/fill", headers=anna)
    assert filled.status_code == 200 and filled.json()["state"] == "filled"
    assert len(await activities(db, "Remove")) == 1  # unpinned once
    assert [u.document["object"]["state"] for u in await activities(db, "Update")] == [
        "closed", "filled"]  # fmt: skip
    [row] = await objects(db)
    assert row.state == "filled"


async def test_edit_changes_terms_and_sends_update(api, db, team) -> None:
    project, anna, _ = team
    out = (await publish_call(api, project, anna)).json()
    response = await api.patch(
        f"/api/smart/v1/calls/{out['id']}", headers=anna,
        json={"title": "Three dancers", "positions": 3, "paid": None, "remote": True},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["title"], changed["positions"], changed["paid"], changed["remote"]) == (
        "Three dancers", 3, None, True)  # fmt: skip
    [update] = await activities(db, "Update")
    note = update.document["object"]
    assert "reciprocal" not in note and note["positions"] == 3 and note["remote"] is True
    assert note["content"].startswith("<p><strong>Three dancers</strong></p>")
    assert "Ersättning: oavlönat" in note["content"] and note["updated"]  # the call is in sv
    assert "Remuneration: unpaid" in note["contentMap"]["en"]
    bad = await api.patch(f"/api/smart/v1/calls/{out['id']}", headers=anna,
                          json={"place": None, "remote": False})  # fmt: skip
    assert bad.status_code == 422 and "place" in bad.json()["error"]
    [row] = await objects(db)
    assert row.extra["call"]["positions"] == 3


async def test_delete_sends_delete_and_the_call_answers_410_tombstone(
    api, db, settings, team
) -> None:
    project, anna, _ = team
    node = await get_node_actor_of(db)
    await add_follower(db, node, PEER, shared_inbox="https://be.smart.example/inbox")
    out = (await publish_call(api, project, anna)).json()
    assert (await api.delete(f"/api/smart/v1/calls/{out['id']}", headers=anna)).status_code == 204
    [delete] = await activities(db, "Delete")
    assert delete.document["object"]["type"] == "Tombstone" and PEER in delete.document["cc"]
    served = await api.get(f"/calls/{out['id']}", headers=AP)
    assert served.status_code == 410 and served.json()["type"] == "Tombstone"
    assert (await api.get(f"/api/smart/v1/calls/{out['id']}")).status_code == 410
    assert (await api.get("/api/smart/v1/board")).json()["items"] == []
    [row] = await objects(db)
    assert row.deleted_at is not None and row.extra == {}


async def test_an_unlisted_call_is_not_announced_nor_on_the_board(api, db, team) -> None:
    project, anna, _ = team
    out = (await publish_call(api, project, anna, visibility="unlisted")).json()
    assert out["visibility"] == "unlisted"
    assert await activities(db, "Announce") == [] and await activities(db, "Add") == []
    assert (await api.get("/api/smart/v1/board")).json()["items"] == []
    listed = (await api.get(f"/api/smart/v1/actors/{project.username}/calls")).json()
    assert [c["id"] for c in listed["items"]] == [out["id"]]


async def test_board_filters_and_pages(api, db, team) -> None:
    project, anna, _ = team
    first = (await publish_call(api, project, anna)).json()
    remote = (await publish_call(api, project, anna, title="Remote sound", place=None,
                                 remote=True, skills=[TEACH], languages=["fr"],
                                 description="Sound design from home"))  # fmt: skip
    second = remote.json()

    async def uris(**params) -> list[str]:
        page = (await api.get("/api/smart/v1/board", params=params)).json()
        return [c["uri"] for c in page["items"]]

    assert await uris() == [second["uri"], first["uri"]]
    assert await uris(country="se") == [first["uri"]]
    assert await uris(remote="true") == [second["uri"]]
    assert await uris(remote="false") == [first["uri"]]
    assert await uris(skill=PERFORM) == [first["uri"]]
    assert await uris(skill=DANCER) == [second["uri"], first["uri"]]
    assert await uris(language="fr") == [second["uri"]]
    assert await uris(q="SOUND DESIGN") == [second["uri"]]
    page = (await api.get("/api/smart/v1/board", params={"limit": 1})).json()
    assert [c["uri"] for c in page["items"]] == [second["uri"]] and page["next"]
    rest = (await api.get(page["next"])).json()
    assert [c["uri"] for c in rest["items"]] == [first["uri"]] and rest["next"] is None
    assert (await api.get("/api/smart/v1/board", params={"after": "x"})).status_code == 422
    assert (await api.get("/api/smart/v1/board", params={"country": "Sweden"})).status_code == 422
