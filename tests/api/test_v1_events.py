"""/api/smart/v1/actors/{username}/events and /api/smart/v1/events/{id}: member auth, the rows
written,
the Create/Update/Delete activities and their deliveries, the AS2 Event served at its id (410
after delete) and the iCalendar exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest

from smartnode.actors.projects import Role, add_to_team
from smartnode.federation.vocab import PUBLIC
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, make_project
from tests.content import activities, add_follower, fan_out, member_headers, node_client, objects
from tests.inbox import Fediverse

ALICE = "https://mastodon.example/users/alice"
AP = {"Accept": "application/activity+json"}
SOON = (datetime.now(UTC) + timedelta(days=10)).replace(hour=17, minute=0, second=0, microsecond=0)
PLACE = {"name": "Malmö Opera", "street_address": "Östra Rönneholmsvägen 20",
         "locality": "Malmö", "country": "SE", "latitude": 55.6, "longitude": 12.99}  # fmt: skip


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, name="Alice Martin")
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna", language="sv")


def body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Jazzkväll", "content": "Kom och lyssna! #jazz",
        "starts_at": SOON.isoformat(), "ends_at": (SOON + timedelta(hours=3)).isoformat(),
        "timezone": "Europe/Stockholm", "place": PLACE, **fields,
    }  # fmt: skip


async def publish(api, username: str, headers: dict, **fields: Any) -> httpx.Response:
    return await api.post(f"/api/smart/v1/actors/{username}/events", json=body(**fields),
                          headers=headers)  # fmt: skip


async def test_member_publishes_an_event_sent_as_create_and_served_as_as2(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    headers = await member_headers(db, anna)
    response = await publish(api, "anna", headers, online_url="https://meet.example/jazz",
                             capacity=80, join_mode="restricted")  # fmt: skip
    assert response.status_code == 201, response.text
    out = response.json()
    assert response.headers["location"] == f"{settings.base_url}/api/smart/v1/events/{out['id']}"
    assert out["uri"] == f"{settings.base_url}/events/{out['id']}" and out["type"] == "Event"
    assert (out["timezone"], out["join_mode"], out["capacity"]) == (
        "Europe/Stockholm", "restricted", 80)  # fmt: skip
    assert out["place"]["locality"] == "Malmö" and out["hashtags"] == ["jazz"]
    assert out["ics_url"] == f"{settings.base_url}/api/smart/v1/events/{out['id']}.ics"
    [row] = await objects(db)
    assert (row.kind, row.ap_type, row.local, row.visibility, row.language) == (
        "event", "Event", True, "public", "sv")  # fmt: skip
    assert row.starts_at == SOON and row.ends_at == SOON + timedelta(hours=3)
    assert row.extra["event"]["timezone"] == "Europe/Stockholm"
    assert row.extra["source"]["name"] == "Jazzkväll" and row.project_id is None
    [create] = await activities(db, "Create")
    event = create.document["object"]
    assert (event["id"], event["type"], event["attributedTo"]) == (row.uri, "Event", anna.uri)
    assert (event["to"], event["cc"]) == ([PUBLIC], [f"{anna.uri}/followers"])
    assert create.document["@context"][1]["timezone"]["@id"] == "mz:timezone"
    assert event["summary"].startswith("<p>") and "december" in event["summary"]
    assert "Malmö Opera" in event["summary"] and event["summary"] == out["summary"]
    served = await api.get(f"/events/{out['id']}", headers=AP)
    assert served.status_code == 200
    assert {k: v for k, v in served.json().items() if k != "@context"} == event
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]
    page = await api.get(f"/events/{out['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Jazzkväll" in page.text


async def test_coordinator_publishes_as_the_project_and_others_may_not(
    api, db, settings, anna
) -> None:
    bo = await make_member(db, settings, "bo")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.MEMBER, anna.created_at)
    anna_headers, bo_headers = await member_headers(db, anna), await member_headers(db, bo)
    ours = await publish(api, project.username, anna_headers)
    assert ours.status_code == 201, ours.text
    assert ours.json()["author"] == project.uri and ours.json()["project"] == project.username
    assert (await publish(api, project.username, bo_headers)).status_code == 403
    assert (await publish(api, "anna", bo_headers)).status_code == 403
    assert (await publish(api, "anna", {})).status_code == 401
    assert (await publish(api, "nobody", anna_headers)).status_code == 404
    admin = await admin_headers(db)
    as_anna = await api.post("/api/smart/v1/actors/anna/events?as=anna", json=body(), headers=admin)
    assert as_anna.status_code == 201 and as_anna.json()["author"] == anna.uri
    rows = await objects(db)
    assert [(r.actor_id, r.project_id) for r in rows] == [
        (project.id, project.id), (anna.id, None)]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"ends_at": SOON.isoformat()}, "ends_at must come after starts_at"),
        ({"starts_at": "2026-12-05T19:00:00"}, "starts_at"),
        ({"place": None}, "place, an online_url"),
        ({"place": {"name": "x", "latitude": 10}}, "latitude and longitude"),
        ({"capacity": -1}, "capacity"),
        ({"visibility": "direct"}, "visibility"),
        ({"mentions": ["@bo"]}, "mentions"),
        ({"name": ""}, "name"),
    ],
)
async def test_bad_input_is_a_clear_422_and_nothing_is_stored(
    api, db, anna, fields: dict[str, Any], message: str
) -> None:
    response = await publish(api, "anna", await member_headers(db, anna), **fields)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"] and response.json()["code"] == "validation_failed"
    assert await objects(db) == [] and await activities(db) == []


async def test_edit_sends_update_with_the_same_audience(api, db, settings, anna) -> None:
    headers = await member_headers(db, anna)
    first = (await publish(api, "anna", headers, visibility="followers")).json()
    later = SOON + timedelta(days=1)
    changed = await api.patch(
        f"/api/smart/v1/events/{first['id']}",
        json={"starts_at": later.isoformat(), "ends_at": None, "place": None,
              "online_url": "https://meet.example/room"},
        headers=headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    out = changed.json()
    assert out["place"] is None and out["online_url"] == "https://meet.example/room"
    assert out["ends_at"] is None and out["name"] == "Jazzkväll"
    [update] = await activities(db, "Update")
    event = update.document["object"]
    assert (event["to"], event["cc"]) == ([f"{anna.uri}/followers"], [])
    assert update.public is False and "updated" in event and event["isOnline"] is True
    assert "location" not in event and "endTime" not in event
    [row] = await objects(db)
    assert row.starts_at == later and row.ends_at is None and row.visibility == "followers"
    for bad in ({"online_url": None}, {"visibility": "public"}, {"name": None},
                {"ends_at": (later - timedelta(hours=1)).isoformat()}):  # fmt: skip
        refused = await api.patch(f"/api/smart/v1/events/{first['id']}", json=bad, headers=headers)
        assert refused.status_code == 422, (bad, refused.text)
    assert len(await activities(db, "Update")) == 1


async def test_only_the_author_or_a_coordinator_changes_an_event(api, db, settings, anna) -> None:
    bo = await make_member(db, settings, "bo")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.COORDINATOR, anna.created_at)
    anna_headers, bo_headers = await member_headers(db, anna), await member_headers(db, bo)
    mine = (await publish(api, "anna", anna_headers)).json()
    hidden = (await publish(api, "anna", anna_headers, visibility="followers")).json()
    ours = (await publish(api, project.username, anna_headers)).json()
    edit = {"name": "Kapad"}
    assert (await api.patch(f"/api/smart/v1/events/{mine['id']}", json=edit, headers=bo_headers)
            ).status_code == 403  # fmt: skip
    assert (await api.delete(f"/api/smart/v1/events/{hidden['id']}", headers=bo_headers)
            ).status_code == 404  # fmt: skip
    by_coordinator = await api.patch(f"/api/smart/v1/events/{ours['id']}", json=edit,
                                     headers=bo_headers)  # fmt: skip
    assert by_coordinator.status_code == 200
    names = {r.uri: r.name for r in await objects(db)}
    assert names[mine["uri"]] == "Jazzkväll" and names[ours["uri"]] == "Kapad"


async def test_delete_leaves_a_tombstone_and_sends_delete_to_followers(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    headers = await member_headers(db, anna)
    first = (await publish(api, "anna", headers)).json()
    assert (await api.get(f"/events/{first['id']}", headers=AP)).status_code == 200
    assert (
        await api.delete(f"/api/smart/v1/events/{first['id']}", headers=headers)
    ).status_code == 204
    gone = await api.get(f"/events/{first['id']}", headers=AP)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["formerType"] == "Event"
    assert gone.json()["id"] == first["uri"]
    [row] = await objects(db)
    assert row.deleted_at is not None and row.content == "" and row.extra == {}
    [delete] = await activities(db, "Delete")
    assert delete.document["object"]["type"] == "Tombstone"
    assert delete.document["object"]["id"] == first["uri"]
    assert await fan_out(db, settings, delete) == ["https://mastodon.example/inbox"]
    assert (await api.get(f"/api/smart/v1/events/{first['id']}")).status_code == 410
    assert (await api.get(f"/api/smart/v1/events/{first['id']}.ics")).status_code == 410
    assert (
        await api.delete(f"/api/smart/v1/events/{first['id']}", headers=headers)
    ).status_code == 410


async def test_lists_show_upcoming_soonest_first_in_pages_and_past_apart(api, db, anna) -> None:
    headers = await member_headers(db, anna)
    for days in (3, 1, 2):
        start = SOON + timedelta(days=days)
        created = await publish(api, "anna", headers, name=f"d{days}",
                                starts_at=start.isoformat(), ends_at=None)  # fmt: skip
        assert created.status_code == 201
    past = datetime.now(UTC) - timedelta(days=5)
    await publish(api, "anna", headers, name="past", starts_at=past.isoformat(), ends_at=None)
    await publish(api, "anna", headers, name="hidden", visibility="followers")
    await publish(api, "anna", headers, name="unlisted", visibility="unlisted")
    page = (await api.get("/api/smart/v1/actors/anna/events?limit=2")).json()
    assert [e["name"] for e in page["items"]] == ["unlisted", "d1"]
    assert page["items"][0]["visibility"] == "unlisted"
    rest = (await api.get(page["next"])).json()
    assert [e["name"] for e in rest["items"]] == ["d2", "d3"] and rest["next"] is None
    old = (await api.get("/api/smart/v1/actors/anna/events?when=past")).json()
    assert [e["name"] for e in old["items"]] == ["past"]
    hidden = next(r for r in await objects(db) if r.name == "hidden")
    token = hidden.uri.rsplit("/", 1)[-1]
    assert (await api.get(f"/api/smart/v1/events/{token}")).status_code == 404
    assert (await api.get(f"/events/{token}", headers=AP)).status_code == 404
    assert (await api.get("/api/smart/v1/events/not-a-token")).status_code == 422
    assert (await api.get("/api/smart/v1/actors/nobody/events")).status_code == 404
    assert (await api.get("/api/smart/v1/actors/anna/events?after=x")).status_code == 422


def parse_ics(response: httpx.Response) -> icalendar.Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


async def test_ics_of_one_event_and_calendar_feeds_of_members_and_projects(
    api, db, settings, anna
) -> None:
    headers = await member_headers(db, anna)
    project = await make_project(db, settings, "Malmö Opera", "anna")
    mine = (await publish(api, "anna", headers, online_url="https://meet.example/j")).json()
    await publish(api, "anna", headers, name="hemlig", visibility="followers")
    await publish(api, "anna", headers, name="olistad", visibility="unlisted")
    ours = (await publish(api, project.username, headers, name="Premiär")).json()
    [event] = parse_ics(await api.get(f"/api/smart/v1/events/{mine['id']}.ics")).walk("VEVENT")
    assert str(event["UID"]) == mine["uri"] and str(event["URL"]) == mine["uri"]
    assert event.decoded("DTSTART") == SOON
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert "https://meet.example/j" in str(event["LOCATION"])
    assert (event["GEO"].latitude, event["GEO"].longitude) == (55.6, 12.99)
    feeds = {
        "/api/smart/v1/actors/anna/events.ics": [mine["uri"]],
        "/members/anna/events.ics": [mine["uri"]],
        f"/projects/{project.username}/events.ics": [ours["uri"]],
    }
    for path, uids in feeds.items():
        cal = parse_ics(await api.get(path))
        assert [str(e["UID"]) for e in cal.walk("VEVENT")] == uids, path
    assert f"{anna.uri}/events.ics" == f"{settings.base_url}/members/anna/events.ics"
    assert (await api.get(f"/members/{project.username}/events.ics")).status_code == 404
    assert (await api.get("/projects/anna/events.ics")).status_code == 404
    assert (await api.get("/members/nobody/events.ics")).status_code == 404
