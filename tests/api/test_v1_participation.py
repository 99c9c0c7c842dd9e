"""/api/smart/v1/participations and /api/smart/v1/events/{id}/participants: members take part in
events of
this node and others, organizers answer requests, the counts show on the event (API and AS2)
and participant lists stay with the organizer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.storage.models import ContentObject
from smartnode.storage.models_work import EventParticipant, Notification
from tests.conftest import make_member, make_project
from tests.content import activities, member_headers, node_client, remote_person
from tests.inbox import Fediverse

AP = {"Accept": "application/activity+json"}
SOON = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
BOB = "https://remote.example/users/bob"
REMOTE_EVENT = "https://mobilizon.example/events/42"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(BOB)
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def people(db, settings) -> dict[str, dict[str, str]]:
    """anna organizes; ben and cleo take part; each with a member token."""
    found = {}
    for name in ("anna", "ben", "cleo"):
        member = await make_member(db, settings, name)
        found[name] = await member_headers(db, member)
    return found


async def an_event(api, headers: dict[str, str], author: str = "anna", **fields: Any) -> dict:
    data = {
        "name": "Open rehearsal",
        "content": "Come!",
        "starts_at": SOON.isoformat(),
        "timezone": "Europe/Brussels",
        "online_url": "https://meet.example/r",
        **fields,
    }
    response = await api.post(f"/api/smart/v1/actors/{author}/events", json=data, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def take_part(api, headers: dict[str, str], event: str, **fields: Any) -> httpx.Response:
    return await api.post("/api/smart/v1/participations", json={"event": event, **fields},
                          headers=headers)  # fmt: skip


async def test_a_free_event_counts_participants_until_full(api, people) -> None:
    event = await an_event(api, people["anna"], capacity=1)
    response = await take_part(api, people["ben"], event["uri"], message="I play <b>cello</b>")
    assert response.status_code == 201, response.text
    assert (response.json()["state"], response.json()["event"]) == ("accepted", event["uri"])
    shown = (await api.get(f"/api/smart/v1/events/{event['id']}")).json()
    assert (shown["participants"], shown["remaining_places"]) == (1, 0)
    doc = (await api.get(event["uri"], headers=AP)).json()
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (1, 0)
    full = await take_part(api, people["cleo"], event["uri"])
    assert full.status_code == 409 and "full" in full.json()["error"]
    again = await take_part(api, people["ben"], event["uri"])
    assert again.status_code == 409 and "already" in again.json()["error"]


async def test_an_edit_keeps_the_count(api, people) -> None:
    event = await an_event(api, people["anna"], capacity=10)
    await take_part(api, people["ben"], event["uri"])
    edited = await api.patch(f"/api/smart/v1/events/{event['id']}",
                             json={"name": "Dress rehearsal"}, headers=people["anna"])  # fmt: skip
    assert edited.status_code == 200, edited.text
    assert (edited.json()["participants"], edited.json()["remaining_places"]) == (1, 9)


async def test_a_restricted_event_is_decided_by_its_organizer_only(api, db, people) -> None:
    event = await an_event(api, people["anna"], join_mode="restricted", capacity=3)
    response = await take_part(api, people["ben"], event["uri"], message="Let me in")
    assert response.json()["state"] == "pending"
    path = f"/api/smart/v1/events/{event['id']}/participants"
    assert (await api.get(path, headers=people["cleo"])).status_code == 403
    assert (await api.get(path)).status_code == 401
    listing = (await api.get(f"{path}?state=pending", headers=people["anna"])).json()
    [request] = listing["items"]
    assert (request["actor"], request["message"], request["handle"]) == (
        "https://se.smart.test/members/ben", "Let me in", "@ben@se.smart.test")  # fmt: skip
    forbidden = await api.post(f"{path}/{request['id']}/accept", headers=people["cleo"])
    assert forbidden.status_code == 403
    accepted = await api.post(f"{path}/{request['id']}/accept", headers=people["anna"])
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    twice = await api.post(f"{path}/{request['id']}/reject", headers=people["anna"])
    assert twice.status_code == 409
    async with db.session() as s:
        kinds = (await s.scalars(select(Notification.kind).order_by(Notification.id))).all()
    assert list(kinds) == ["event_join", "event_participation"]
    assert (await api.get(f"/api/smart/v1/events/{event['id']}")).json()["participants"] == 1
    assert await activities(db, "Accept") == []  # local participants are notified, not sent


async def test_invitation_only_events_and_unknown_events_are_refused(api, people) -> None:
    event = await an_event(api, people["anna"], join_mode="invite")
    refused = await take_part(api, people["ben"], event["uri"])
    assert refused.status_code == 403 and "invitation" in refused.json()["error"]
    unknown = await take_part(api, people["ben"], REMOTE_EVENT)
    assert unknown.status_code == 404
    long = await take_part(api, people["ben"], event["uri"], message="x" * 1001)
    assert long.status_code == 422


async def test_a_followers_only_event_is_hidden_from_strangers(api, people) -> None:
    event = await an_event(api, people["anna"], visibility="followers")
    hidden = await take_part(api, people["ben"], event["uri"])
    assert hidden.status_code == 404
    path = f"/api/smart/v1/events/{event['id']}/participants"
    assert (await api.get(path, headers=people["ben"])).status_code == 404


async def test_leaving_and_listing_own_participations(api, people) -> None:
    first = await an_event(api, people["anna"])
    later = await an_event(api, people["anna"], starts_at=(SOON + timedelta(days=3)).isoformat())
    for event in (later, first):
        assert (await take_part(api, people["ben"], event["uri"])).status_code == 201
    mine = (await api.get("/api/smart/v1/participations", headers=people["ben"])).json()["items"]
    assert [p["event"] for p in mine] == [first["uri"], later["uri"]]
    gone = await api.delete("/api/smart/v1/participations", params={"event": first["uri"]},
                            headers=people["ben"])  # fmt: skip
    assert gone.status_code == 204
    assert (await api.get(f"/api/smart/v1/events/{first['id']}")).json()["participants"] == 0
    again = await api.delete("/api/smart/v1/participations", params={"event": first["uri"]},
                             headers=people["ben"])  # fmt: skip
    assert again.status_code == 404


async def test_joining_a_remote_event_sends_join_and_leaving_sends_leave(
    api, db, settings, people
) -> None:
    async with db.session() as s, s.begin():
        bob = remote_person(BOB)
        s.add(bob)
        await s.flush()
        now = datetime.now(UTC)
        s.add(ContentObject(
            uri=REMOTE_EVENT, local=False, actor_id=bob.id, ap_type="Event", kind="event",
            url=REMOTE_EVENT, visibility="public", audience={"to": [], "cc": []},
            sensitive=False, attachments=[], extra={"event": {"join_mode": "restricted"}},
            content="<p>Jam</p>", name="Jam", starts_at=SOON, published_at=now,
            updated_at=now,
        ))  # fmt: skip
    response = await take_part(api, people["ben"], REMOTE_EVENT, message="bass")
    assert response.status_code == 201 and response.json()["state"] == "pending"
    [join] = await activities(db, "Join")
    assert (join.document["object"], join.document["to"]) == (REMOTE_EVENT, [BOB])
    assert join.document["participationMessage"] == "bass"
    async with db.session() as s:
        row = await s.scalar(select(EventParticipant))
        assert row is not None and (row.uri, row.local) == (join.uri, False)
    left = await api.delete("/api/smart/v1/participations", params={"event": REMOTE_EVENT},
                            headers=people["ben"])  # fmt: skip
    assert left.status_code == 204
    [leave] = await activities(db, "Leave")
    assert (leave.document["object"], leave.document["to"]) == (REMOTE_EVENT, [BOB])


async def test_a_project_event_is_organized_by_its_coordinators(api, db, settings, people) -> None:
    await make_project(db, settings, "Opera", "anna", slug="opera")
    event = await an_event(api, people["anna"], author="opera", join_mode="restricted")
    await take_part(api, people["ben"], event["uri"])
    path = f"/api/smart/v1/events/{event['id']}/participants"
    listing = await api.get(path, headers=people["anna"])
    assert listing.status_code == 200 and len(listing.json()["items"]) == 1
    assert (await api.get(path, headers=people["ben"])).status_code == 403
