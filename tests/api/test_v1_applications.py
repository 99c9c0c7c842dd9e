"""/api/smart/v1/applications, /api/smart/v1/projects/{slug}/applications and
/api/smart/v1/remote-decisions:
who may see and decide, the rows written, and the activities on the wire (to the project or
the applicant only; never public, never in an outbox or a public API)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.projects import Role
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models_profiles import ProjectMember
from tests.conftest import make_member, make_project
from tests.content import activity, fan_out, member_headers, node_client
from tests.inbox import Fediverse, receive
from tests.inbox.applications import (
    applications,
    join_team,
    make_call,
    notifications,
    offer,
    remote_actor,
    remote_call,
    sent,
)

LEA = "https://be.smart.example/members/lea"
BAND = "https://fr.smart.example/projects/band"
REMOTE_CALL = "https://fr.smart.example/calls/c1"
AP = {"Accept": "application/activity+json"}


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(LEA)
    fediverse.actor(BAND, type="Group")
    return fediverse


@pytest.fixture
async def api(settings, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


@pytest.fixture
async def bo(db, settings):
    return await make_member(db, settings, "bo")


@pytest.fixture
async def jazz(db, settings, anna):
    return await make_project(db, settings, "Jazz", "anna")


async def apply(api, headers, call: str, **body) -> httpx.Response:
    payload = {"call": call, "motivation": "I play\n\nthe <drums>", **body}
    return await api.post("/api/smart/v1/applications", json=payload, headers=headers)


async def test_a_member_applies_to_a_local_call_and_only_coordinators_see_it(
    api, db, settings, anna, bo, jazz
) -> None:
    call = await make_call(db, settings, jazz)
    bo_headers = await member_headers(db, bo)
    response = await apply(api, bo_headers, call.uri, links=["https://bo.example/cv"])
    assert response.status_code == 201, response.text
    out = response.json()
    assert response.headers["location"].endswith(f"/api/smart/v1/applications/{out['id']}")
    assert (out["local"], out["state"], out["via"]) == (True, "pending", "offer")
    assert out["motivation"] == "<p>I play</p><p>the &lt;drums&gt;</p>"
    assert out["links"] == ["https://bo.example/cv"] and out["applicant"] == bo.uri
    [note] = await notifications(db)
    assert (note.actor_id, note.kind, note.object_uri) == (anna.id, "application", out["uri"])
    assert await sent(db) == []  # nothing federates for a local call and local people
    anna_headers = await member_headers(db, anna)
    listed = await api.get("/api/smart/v1/projects/jazz/applications", headers=anna_headers)
    assert [a["id"] for a in listed.json()["items"]] == [out["id"]]
    assert (await api.get("/api/smart/v1/projects/jazz/applications", headers=bo_headers)
            ).status_code == 403  # fmt: skip
    assert (await api.get("/api/smart/v1/projects/jazz/applications")).status_code == 401
    mine = await api.get("/api/smart/v1/applications", headers=bo_headers)
    assert [a["id"] for a in mine.json()["items"]] == [out["id"]]
    again = await apply(api, bo_headers, call.uri)
    assert again.status_code == 409 and len(await applications(db)) == 1


async def test_a_closed_or_unknown_call_takes_no_application(api, db, settings, bo, jazz) -> None:
    call = await make_call(db, settings, jazz, state="filled")
    headers = await member_headers(db, bo)
    assert (await apply(api, headers, call.uri)).status_code == 409
    assert (await apply(api, headers, f"{settings.base_url}/calls/abc")).status_code == 404
    assert (await apply(api, headers, call.uri, links=["x"] * 6)).status_code == 422
    assert await applications(db) == []


async def test_applying_to_a_remote_call_sends_an_offer_to_the_project_only(
    api, db, settings, anna
) -> None:
    band = await remote_actor(db, BAND, "Group")
    await remote_call(db, band, REMOTE_CALL)
    headers = await member_headers(db, anna)
    response = await apply(api, headers, REMOTE_CALL)
    assert response.status_code == 201, response.text
    [app] = await applications(db)
    assert (app.local, app.project_id) == (False, band.id)
    [sent_offer] = await sent(db)
    doc = sent_offer.document
    assert (sent_offer.activity_type, doc["id"], doc["actor"]) == ("Offer", app.uri, anna.uri)
    assert doc["to"] == [BAND] and "cc" not in doc and not sent_offer.public
    assert (doc["inReplyTo"], doc["target"]) == (REMOTE_CALL, REMOTE_CALL)
    agreement = doc["object"]
    assert agreement["type"] == "Agreement" and "id" not in agreement  # FEP-0837: optional
    assert app.agreement_uri is None  # until the project finalizes it
    assert agreement["stipulates"]["satisfies"] == f"{REMOTE_CALL}#primary"
    assert await fan_out(db, settings, sent_offer) == ["https://fr.smart.example/inbox"]
    await _never_served(api, anna, app.uri, app.agreement_uri)


async def _never_served(api, member, activity_uri: str, agreement_uri: str | None) -> None:
    """Neither the Offer nor the Agreement is served to anyone unsigned, nor in an outbox."""
    path = activity_uri.split("/", 3)[3]
    assert (await api.get(f"/{path}", headers=AP)).status_code == 404
    if agreement_uri:
        assert (await api.get(agreement_uri, headers=AP)).status_code == 404
    outbox = (await api.get(f"{member.uri}/outbox", headers=AP)).json()
    first = (await api.get(outbox["first"], headers=AP)).json()
    assert activity_uri not in str(first) and "Offer" not in str(first)
    assert "Accept" not in str(first) and "Agreement" not in str(first)
    posts = await api.get(f"/api/smart/v1/actors/{member.username}/posts")
    assert posts.status_code == 200 and activity_uri not in posts.text


async def test_a_remote_call_is_fetched_from_its_origin_before_applying(
    api, db, settings, world, anna
) -> None:
    world.serve(REMOTE_CALL, {
        "@context": "https://www.w3.org/ns/activitystreams", "id": REMOTE_CALL, "type": "Note",
        "attributedTo": BAND, "content": "<p>Light designer</p>", "name": "Light designer",
        "purpose": "request", "publishes": {"type": "Intent", "action": "work"},
        "to": [PUBLIC], "published": "2026-11-20T10:00:00Z",
    })  # fmt: skip
    response = await apply(api, await member_headers(db, anna), REMOTE_CALL)
    assert response.status_code == 201, response.text
    assert response.json()["call"] == REMOTE_CALL and response.json()["project"] == BAND
    [sent_offer] = await sent(db)
    assert sent_offer.document["to"] == [BAND]


async def test_withdrawing_sends_undo_of_the_offer_to_the_project(api, db, settings, anna) -> None:
    band = await remote_actor(db, BAND, "Group")
    await remote_call(db, band, REMOTE_CALL)
    headers = await member_headers(db, anna)
    out = (await apply(api, headers, REMOTE_CALL)).json()
    gone = await api.delete(f"/api/smart/v1/applications/{out['id']}", headers=headers)
    assert gone.status_code == 200 and gone.json()["state"] == "withdrawn"
    [undo] = await sent(db, "Undo")
    assert undo.document["object"]["id"] == out["uri"] and undo.document["to"] == [BAND]
    assert not undo.public
    again = await api.delete(f"/api/smart/v1/applications/{out['id']}", headers=headers)
    assert again.status_code == 409


async def _remote_application(db, settings, world, jazz):
    call = await make_call(db, settings, jazz)
    body = offer(LEA, call.uri, [jazz.uri])
    assert (await receive(db, settings, world, body)).status == "processed"
    [app] = await applications(db)
    return app, body


async def test_a_coordinator_accepts_and_the_applicant_alone_is_told(
    api, db, settings, world, anna, bo, jazz
) -> None:
    app, body = await _remote_application(db, settings, world, jazz)
    bo_headers = await member_headers(db, bo)
    assert (
        await api.get(f"/api/smart/v1/applications/{app.id}", headers=bo_headers)
    ).status_code == 404
    refused = await api.post(f"/api/smart/v1/applications/{app.id}/accept", headers=bo_headers)
    assert refused.status_code == 404
    headers = await member_headers(db, anna)
    short = await api.post(f"/api/smart/v1/applications/{app.id}/shortlist", headers=headers)
    assert short.status_code == 200 and short.json()["state"] == "shortlisted"
    response = await api.post(f"/api/smart/v1/applications/{app.id}/accept", json={"role": "guest"},
                              headers=headers)  # fmt: skip
    assert response.status_code == 200 and response.json()["role"] == "guest"
    tentative, accept = await sent(db, "TentativeAccept") + await sent(db, "Accept")
    for answer in (tentative, accept):
        assert answer.document["to"] == [LEA] and "cc" not in answer.document
        assert answer.actor_id == jazz.id and answer.document["object"] == body["id"]
        assert not answer.public
        assert await fan_out(db, settings, answer) == ["https://be.smart.example/inbox"]
    [accepted] = await applications(db)
    result = accept.document["result"]
    assert (result["type"], result["id"]) == ("Agreement", accepted.agreement_uri)
    assert result["stipulates"]["id"] == f"{accepted.agreement_uri}#primary"
    async with db.session() as s:
        row = await s.scalar(
            select(ProjectMember).where(ProjectMember.member_id == app.applicant_id)
        )
    assert row is not None and row.role == "guest"
    late = await api.post(f"/api/smart/v1/applications/{app.id}/reject", headers=headers)
    assert late.status_code == 409
    await _never_served(api, jazz, accept.uri, None)


async def test_a_coordinator_of_another_nodes_project_decides_remotely(
    api, db, settings, world, anna, bo
) -> None:
    band = await remote_actor(db, BAND, "Group")
    call = await remote_call(db, band, REMOTE_CALL)
    original = offer(LEA, call.uri, [BAND])
    copy = activity("Offer", BAND, original, "https://fr.smart.example/activities/fw")
    copy |= {"to": [anna.uri]}
    assert (await receive(db, settings, world, copy)).status == "processed"
    headers = await member_headers(db, anna)
    listed = await api.get("/api/smart/v1/applications?role=coordinator", headers=headers)
    assert [a["uri"] for a in listed.json()["items"]] == [original["id"]]
    decision = {"offer": original["id"], "decision": "accept", "role": "member"}
    stranger = await api.post("/api/smart/v1/remote-decisions", json=decision,
                              headers=await member_headers(db, bo))  # fmt: skip
    assert stranger.status_code == 404
    response = await api.post("/api/smart/v1/remote-decisions", json=decision, headers=headers)
    assert response.status_code == 202, response.text
    [accept] = await sent(db, "Accept")
    doc = accept.document
    assert (accept.actor_id, doc["object"], doc["to"]) == (anna.id, original["id"], [BAND])
    assert doc["smartRole"] == "member" and not accept.public
    assert await fan_out(db, settings, accept) == ["https://fr.smart.example/inbox"]


async def test_a_remote_coordinator_is_in_the_team(db, settings, world, jazz) -> None:
    """Arrange check: a remote actor row joins the team as coordinator (used by decisions)."""
    lea = await remote_actor(db, LEA)
    await join_team(db, jazz, lea, Role.COORDINATOR)
    async with db.session() as s:
        roles = (await s.scalars(select(ProjectMember.role).where(
            ProjectMember.member_id == lea.id))).all()  # fmt: skip
    assert roles == ["coordinator"]


async def test_local_people_are_told_by_notifications_and_nothing_federates(
    api, db, settings, anna, bo, jazz
) -> None:
    call = await make_call(db, settings, jazz)
    bo_headers, anna_headers = await member_headers(db, bo), await member_headers(db, anna)
    first = (await apply(api, bo_headers, call.uri)).json()
    rejected = await api.post(
        f"/api/smart/v1/applications/{first['id']}/reject", headers=anna_headers
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    kinds = [(n.actor_id, n.kind) for n in await notifications(db)]
    assert kinds == [(anna.id, "application"), (bo.id, "decision")]
    other = await make_call(db, settings, jazz, title="Bassist")
    second = (await apply(api, bo_headers, other.uri)).json()
    gone = await api.delete(f"/api/smart/v1/applications/{second['id']}", headers=bo_headers)
    assert gone.status_code == 200 and gone.json()["state"] == "withdrawn"
    assert (anna.id, "withdrawal") in [(n.actor_id, n.kind) for n in await notifications(db)]
    not_yours = await api.delete(f"/api/smart/v1/applications/{first['id']}", headers=anna_headers)
    assert not_yours.status_code == 404
    assert await sent(db) == []
