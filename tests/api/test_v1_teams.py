"""/api/smart/v1 teams across nodes: invitations, join requests, roles, join/leave of remote
projects;
asserted on the wire (activities written to the outbox) and in the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from smartnode.app import create_app
from smartnode.storage.db import Database
from smartnode.storage.models import Activity
from smartnode.storage.models_work import Notification, TeamRequest
from tests.conftest import make_member, make_project
from tests.content import member_headers
from tests.inbox import AS, Fediverse, receive
from tests.inbox.test_team import team

BOB = "https://remote.example/users/bob"
GROUP = "https://be.smart.test/projects/jazz"
OPERA = "https://se.smart.test/projects/opera"
ANNA = "https://se.smart.test/members/anna"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(BOB, name="Bob Peeters")
    fediverse.actor(GROUP, type="Group", name="Jazz")
    return fediverse


@pytest.fixture
async def api(settings, db, world: Fediverse) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(
        settings, outbound_transport=httpx.MockTransport(world.handle)
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as c:
            yield c


@pytest.fixture
async def anna(db, settings) -> dict[str, str]:
    member = await make_member(db, settings, "anna")
    await make_project(db, settings, "Opera", "anna", slug="opera")
    return await member_headers(db, member)


async def sent(db: Database, kind: str) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Activity).where(Activity.activity_type == kind).order_by(Activity.id)
        )
        return [a.document for a in rows.all()]


async def test_a_coordinator_invites_a_remote_person_who_accepts(
    api, db, settings, world, anna
) -> None:
    carl = await member_headers(db, await make_member(db, settings, "carl"))
    body = {"actor": "@bob@remote.example", "role": "guest"}
    refused = await api.post("/api/smart/v1/projects/opera/invitations", json=body, headers=carl)
    assert refused.status_code == 403 and await sent(db, "Invite") == []

    created = await api.post("/api/smart/v1/projects/opera/invitations", json=body, headers=anna)
    assert created.status_code == 201
    out = created.json()
    assert (out["kind"], out["project"], out["actor"], out["role"], out["state"]) == (
        "invite", OPERA, BOB, "guest", "pending",
    )  # fmt: skip
    [invite] = await sent(db, "Invite")
    assert (invite["actor"], invite["object"], invite["target"], invite["to"]) == (
        OPERA, OPERA, BOB, [BOB],
    )  # fmt: skip
    again = await api.post("/api/smart/v1/projects/opera/invitations", json=body, headers=anna)
    assert again.status_code == 409

    accept = {"@context": AS, "id": f"{BOB}#accepts/1", "type": "Accept", "actor": BOB,
              "object": invite["id"]}  # fmt: skip
    assert (await receive(db, settings, world, accept)).status == "processed"
    detail = (await api.get("/api/smart/v1/projects/opera")).json()
    bob = next(t for t in detail["team"] if t["actor_uri"] == BOB)
    assert (bob["handle"], bob["role"], bob["name"]) == (
        "@bob@remote.example",
        "guest",
        "Bob Peeters",
    )
    listed = (await api.get("/api/smart/v1/teams", params={"project": OPERA})).json()
    assert listed["local"] is True
    assert {t["actor_uri"]: t["role"] for t in listed["team"]} == {
        ANNA: "coordinator",
        BOB: "guest",
    }
    [add] = await sent(db, "Add")
    assert add["object"] == BOB and add["smartRole"] == "guest"
    page = await api.get(
        f"{OPERA}/members?page=true", headers={"Accept": "application/activity+json"}
    )
    assert page.status_code == 200 and set(page.json()["orderedItems"]) == {ANNA, BOB}


async def test_a_local_invitee_is_notified_and_joins_on_accepting(api, db, settings, anna) -> None:
    carl_actor = await make_member(db, settings, "carl")
    carl = await member_headers(db, carl_actor)
    body = {"actor": "carl@se.smart.test", "role": "member"}
    created = await api.post("/api/smart/v1/projects/opera/invitations", json=body, headers=anna)
    assert created.status_code == 201 and await sent(db, "Invite") == []  # nothing federates
    async with db.session() as s:
        [kind] = (await s.scalars(select(Notification.kind))).all()
    assert kind == "team_invite"
    [mine] = (await api.get("/api/smart/v1/invitations", headers=carl)).json()["items"]
    assert (
        await api.post(f"/api/smart/v1/invitations/{mine['id']}/accept", headers=anna)
    ).status_code == 404
    accepted = await api.post(f"/api/smart/v1/invitations/{mine['id']}/accept", headers=carl)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert (await team(db, OPERA))[carl_actor.uri] == "member"
    [add] = await sent(db, "Add")
    assert add["object"] == carl_actor.uri and add["to"] == [carl_actor.uri, f"{OPERA}/followers"]


async def test_join_requests_are_answered_by_a_coordinator(api, db, settings, world, anna) -> None:
    join = {"@context": AS, "id": f"{BOB}#join/1", "type": "Join", "actor": BOB, "object": OPERA}
    assert (await receive(db, settings, world, join)).status == "processed"
    listed = await api.get("/api/smart/v1/projects/opera/requests", headers=anna)
    [item] = listed.json()["items"]
    assert (item["kind"], item["actor"], item["state"]) == ("join", BOB, "pending")
    carl = await member_headers(db, await make_member(db, settings, "carl"))
    url = f"/api/smart/v1/projects/opera/requests/{item['id']}/accept"
    assert (await api.post(url, headers=carl)).status_code == 403
    accepted = await api.post(url, headers=anna)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    [answer] = await sent(db, "Accept")
    assert answer["object"]["id"] == join["id"] and answer["to"] == [BOB]
    assert (await team(db, OPERA))[BOB] == "member"
    assert (await api.post(url, headers=anna)).status_code == 409


async def test_roles_change_and_removal_publish_add_and_remove(
    api, db, settings, world, anna
) -> None:
    join = {"@context": AS, "id": f"{BOB}#join/1", "type": "Join", "actor": BOB, "object": OPERA}
    await receive(db, settings, world, join)
    [item] = (await api.get("/api/smart/v1/projects/opera/requests", headers=anna)).json()["items"]
    await api.post(f"/api/smart/v1/projects/opera/requests/{item['id']}/accept", headers=anna)

    body = {"actor": BOB, "role": "coordinator"}
    changed = await api.put("/api/smart/v1/projects/opera/members", json=body, headers=anna)
    assert changed.status_code == 200 and changed.json()["role"] == "coordinator"
    assert [a["smartRole"] for a in await sent(db, "Add")] == ["member", "coordinator"]
    assert (await team(db, OPERA))[BOB] == "coordinator"

    removed = await api.delete(
        "/api/smart/v1/projects/opera/members", params={"actor": BOB}, headers=anna
    )
    assert removed.status_code == 204 and BOB not in await team(db, OPERA)
    [remove] = await sent(db, "Remove")
    assert (remove["object"], remove["target"]["id"]) == (BOB, f"{OPERA}/members")
    last = await api.put(
        "/api/smart/v1/projects/opera/members", json={"actor": ANNA, "role": "member"}, headers=anna
    )
    assert last.status_code == 409 and (await team(db, OPERA))[ANNA] == "coordinator"


async def test_our_member_joins_is_invited_to_and_leaves_a_remote_project(
    api, db, settings, world, anna
) -> None:
    joined = await api.post("/api/smart/v1/projects/join", json={"project": GROUP}, headers=anna)
    assert joined.status_code == 202 and joined.json()["state"] == "pending"
    [join] = await sent(db, "Join")
    assert (join["actor"], join["object"], join["to"]) == (ANNA, GROUP, [GROUP])

    invite = {"@context": AS, "id": f"{GROUP}#invites/1", "type": "Invite", "actor": GROUP,
              "object": GROUP, "target": ANNA, "smartRole": "coordinator"}  # fmt: skip
    assert (await receive(db, settings, world, invite)).status == "processed"
    [mine] = (await api.get("/api/smart/v1/invitations", headers=anna)).json()["items"]
    assert (mine["project"], mine["role"]) == (GROUP, "coordinator")
    answered = await api.post(f"/api/smart/v1/invitations/{mine['id']}/accept", headers=anna)
    assert answered.status_code == 200 and answered.json()["state"] == "accepted"
    [accept] = await sent(db, "Accept")
    assert (accept["actor"], accept["to"], accept["object"]["id"]) == (ANNA, [GROUP], invite["id"])
    assert (await api.get("/api/smart/v1/invitations", headers=anna)).json()["items"] == []

    add = {"@context": AS, "id": f"{GROUP}#adds/1", "type": "Add", "actor": GROUP, "object": ANNA,
           "target": f"{GROUP}/members", "smartRole": "coordinator"}  # fmt: skip
    assert (await receive(db, settings, world, add)).status == "processed"
    remote = (await api.get("/api/smart/v1/teams", params={"project": GROUP})).json()
    assert remote["local"] is False
    assert [(t["actor_uri"], t["handle"], t["role"]) for t in remote["team"]] == [
        (ANNA, "@anna@se.smart.test", "coordinator")
    ]
    async with db.session() as s:
        states = (await s.scalars(select(TeamRequest.state).order_by(TeamRequest.id))).all()
    assert list(states) == ["accepted", "accepted"]

    left = await api.post("/api/smart/v1/projects/leave", json={"project": GROUP}, headers=anna)
    assert left.status_code == 204
    [leave] = await sent(db, "Leave")
    assert (leave["actor"], leave["object"], leave["to"]) == (ANNA, GROUP, [GROUP])
    assert await team(db, GROUP) == {}
    again = await api.post("/api/smart/v1/projects/leave", json={"project": GROUP}, headers=anna)
    assert again.status_code == 404
