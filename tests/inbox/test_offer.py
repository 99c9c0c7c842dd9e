"""Offer{Agreement} into our inbox, decisions by remote coordinators, the project's answers on
the applicant's node, Undo{Offer}, and the copy a project sends its remote coordinators."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from smartnode.actors.projects import Role
from smartnode.actors.records import node_uris
from smartnode.content.applications import apply_to_call
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models_profiles import ProjectMember
from tests.conftest import make_member, make_project
from tests.content import activity, fan_out
from tests.inbox import Fediverse, receive
from tests.inbox.applications import (
    applications,
    join_team,
    make_call,
    notifications,
    offer,
    receive_at,
    remote_actor,
    remote_call,
    sent,
)

LEA = "https://be.smart.example/members/lea"
MARC = "https://fr.smart.example/members/marc"
EVE = "https://evil.example/users/eve"
BAND = "https://fr.smart.example/projects/band"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(LEA)
    fediverse.actor(MARC)
    fediverse.actor(EVE)
    fediverse.actor(BAND, type="Group")
    return fediverse


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


@pytest.fixture
async def jazz(db, settings, anna):
    return await make_project(db, settings, "Jazz", "anna")


async def test_an_offer_is_stored_coordinators_told_and_remote_coordinators_get_a_copy(
    db, settings, world, anna, jazz
) -> None:
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.COORDINATOR)
    call = await make_call(db, settings, jazz)
    body = offer(LEA, call.uri, [jazz.uri])
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "processed", outcome.reason
    [app] = await applications(db)
    assert (app.uri, app.local, app.via, app.state) == (body["id"], True, "offer", "pending")
    assert app.agreement_uri is None and app.call_id == call.id  # finalized on acceptance
    assert "<script>" not in app.motivation and "<b>three</b>" in app.motivation
    assert app.links == ["https://portfolio.example/me"]
    [note] = await notifications(db)
    assert (note.actor_id, note.kind, note.object_uri) == (anna.id, "application", app.uri)
    [copy] = await sent(db)
    assert (copy.activity_type, copy.actor_id, copy.public) == ("Offer", jazz.id, False)
    assert copy.document["to"] == [MARC] and "cc" not in copy.document
    inner = copy.document["object"]
    assert (inner["id"], inner["actor"]) == (body["id"], LEA)
    assert inner["object"]["type"] == "Agreement" and "id" not in inner["object"]
    assert inner["object"]["stipulates"] == {
        "type": "Commitment", "satisfies": f"{call.uri}#primary",
        "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}}  # fmt: skip
    assert await fan_out(db, settings, copy) == ["https://fr.smart.example/inbox"]


async def test_the_same_offer_twice_stores_one_application(db, settings, world, jazz) -> None:
    call = await make_call(db, settings, jazz)
    body = offer(LEA, call.uri, [jazz.uri])
    assert (await receive(db, settings, world, body)).status == "processed"
    again = await receive_at(db, settings, world, body, f"{jazz.uri}/inbox")
    assert again.status == "ignored" and "already" in again.reason
    other = offer(LEA, call.uri, [jazz.uri])  # a new Offer id, same applicant and call
    third = await receive(db, settings, world, other)
    assert third.status == "ignored" and "already applied" in third.reason
    assert len(await applications(db)) == 1 and len(await notifications(db)) == 1


async def test_an_offer_for_a_call_of_another_project_is_refused(db, settings, world, jazz) -> None:
    await make_member(db, settings, "bo")
    rock = await make_project(db, settings, "Rock", "bo")
    call = await make_call(db, settings, rock)
    outcome = await receive(db, settings, world, offer(LEA, call.uri, [jazz.uri]))
    assert outcome.status == "ignored" and "not addressed to the call's project" in outcome.reason
    assert await applications(db) == [] and await notifications(db) == [] and await sent(db) == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"offer_id": "https://evil.example/activities/1"}, "Offer id is not on its actor"),
        ({"object": {"id": "https://evil.example/agreements/1", "type": "Agreement"}},
         "Agreement id is not on its actor"),
        ({"object": {"id": "https://be.smart.example/a/1", "type": "Note"}}, "an Agreement"),
    ],
)  # fmt: skip
async def test_forged_offers_store_nothing(db, settings, world, jazz, fields, reason) -> None:
    call = await make_call(db, settings, jazz)
    outcome = await receive(db, settings, world, offer(LEA, call.uri, [jazz.uri], **fields))
    assert outcome.status == "ignored" and reason in outcome.reason
    assert await applications(db) == [] and await notifications(db) == []


@pytest.mark.parametrize("state", ["closed", "filled"])
async def test_an_offer_for_a_closed_call_is_refused(db, settings, world, jazz, state) -> None:
    call = await make_call(db, settings, jazz, state=state)
    outcome = await receive(db, settings, world, offer(LEA, call.uri, [jazz.uri]))
    assert outcome.status == "ignored" and state in outcome.reason
    assert await applications(db) == []


async def test_an_offer_for_a_call_we_do_not_have_is_refused(db, settings, world, jazz) -> None:
    body = offer(LEA, "https://se.smart.test/calls/abcdef", [jazz.uri])
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "ignored" and "not for one of our calls" in outcome.reason


async def _offered(db, settings, world, jazz):
    call = await make_call(db, settings, jazz)
    body = offer(LEA, call.uri, [jazz.uri])
    assert (await receive(db, settings, world, body)).status == "processed"
    return body


async def test_a_remote_coordinator_accepts_as_a_local_one_would(db, settings, world, jazz) -> None:
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.COORDINATOR)
    body = await _offered(db, settings, world, jazz)
    accept = {**activity("Accept", MARC, body["id"]), "smartRole": "guest"}
    outcome = await receive(db, settings, world, accept)
    assert outcome.status == "processed", outcome.reason
    [app] = await applications(db)
    assert (app.state, app.role) == ("accepted", "guest")
    [answer] = await sent(db, "Accept")
    doc = answer.document
    assert (answer.actor_id, doc["object"], doc["to"]) == (jazz.id, body["id"], [LEA])
    agreement = app.agreement_uri
    assert agreement.startswith(f"{settings.base_url}/agreements/")
    assert doc["result"] == {
        "id": agreement, "type": "Agreement",
        "stipulates": {"id": f"{agreement}#primary", "type": "Commitment",
                       "satisfies": f"{body['inReplyTo']}#primary",
                       "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}},
    }  # fmt: skip
    assert not answer.public and "cc" not in doc and app.decision_uri == answer.uri
    assert await fan_out(db, settings, answer) == ["https://be.smart.example/inbox"]
    [add] = await sent(db, "Add")
    assert add.document["object"] == LEA
    async with db.session() as s:
        row = await s.scalar(
            select(ProjectMember).where(ProjectMember.member_id == app.applicant_id)
        )
        assert row is not None and row.role == "guest"


async def test_a_decision_from_a_non_coordinator_changes_nothing(db, settings, world, jazz) -> None:
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.MEMBER)  # in the team, but not a coordinator
    body = await _offered(db, settings, world, jazz)
    for kind, actor in (("Accept", MARC), ("Reject", EVE), ("TentativeAccept", LEA)):
        await remote_actor(db, actor)
        outcome = await receive(db, settings, world, activity(kind, actor, body["id"]))
        assert outcome.status == "ignored" and "not a coordinator" in outcome.reason
    [app] = await applications(db)
    assert app.state == "pending" and [a.activity_type for a in await sent(db)] == []


async def test_a_remote_coordinator_shortlists_then_rejects(db, settings, world, jazz) -> None:
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.COORDINATOR)
    body = await _offered(db, settings, world, jazz)
    assert (await receive(db, settings, world, activity("TentativeAccept", MARC, body["id"]))
            ).status == "processed"  # fmt: skip
    assert (await receive(db, settings, world, activity("Reject", MARC, body["id"]))
            ).status == "processed"  # fmt: skip
    [app] = await applications(db)
    assert app.state == "rejected"
    types = [(a.activity_type, a.document["to"]) for a in await sent(db)]
    assert types == [("Offer", [MARC]), ("TentativeAccept", [LEA]), ("Reject", [LEA])]
    late = await receive(db, settings, world, activity("Accept", MARC, body["id"]))
    assert late.status == "ignored" and "rejected" in late.reason


async def test_undo_of_the_offer_withdraws_it_only_by_its_applicant(
    db, settings, world, jazz
) -> None:
    body = await _offered(db, settings, world, jazz)
    await remote_actor(db, EVE)
    forged = await receive(
        db, settings, world, activity("Undo", EVE, {"id": body["id"], "type": "Offer"})
    )
    assert forged.status == "ignored" and "someone else's" in forged.reason
    outcome = await receive(
        db, settings, world, activity("Undo", LEA, {"id": body["id"], "type": "Offer"})
    )
    assert outcome.status == "processed"
    [app] = await applications(db)
    assert app.state == "withdrawn"


# ---------------------------------------------------------------- on the applicant's node


async def _our_application(db, settings, anna):
    band = await remote_actor(db, BAND, "Group")
    call = await remote_call(db, band, "https://fr.smart.example/calls/c1")
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        app = await apply_to_call(s, node_uris(settings), anna, call, "<p>hi</p>", [], now)
    [offered] = await sent(db, "Offer")
    assert offered.document["to"] == [BAND] and not offered.public
    return app


async def test_the_projects_accept_of_our_offer_updates_and_notifies(
    db, settings, world, anna
) -> None:
    app = await _our_application(db, settings, anna)
    finalized = "https://fr.smart.example/agreements/f1"
    accept = {**activity("Accept", BAND, app.uri), "result": {
        "id": finalized, "type": "Agreement",
        "stipulates": {"id": f"{finalized}#primary", "type": "Commitment",
                       "satisfies": "https://fr.smart.example/calls/c1#primary",
                       "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}},
    }}  # fmt: skip
    outcome = await receive(db, settings, world, accept)
    assert outcome.status == "processed", outcome.reason
    [stored] = await applications(db)
    assert (stored.state, stored.role, stored.decision_uri) == ("accepted", "member", accept["id"])
    assert stored.agreement_uri == finalized  # the project's finalized Agreement is kept
    [note] = await notifications(db)
    assert (note.actor_id, note.kind, note.object_uri) == (anna.id, "decision", app.uri)


async def test_an_answer_from_another_actor_or_to_an_offer_we_did_not_send_is_ignored(
    db, settings, world, anna
) -> None:
    app = await _our_application(db, settings, anna)
    await remote_actor(db, EVE)
    forged = await receive(db, settings, world, activity("Accept", EVE, app.uri))
    assert forged.status == "ignored" and "not from the project" in forged.reason
    unknown = await receive(db, settings, world, activity("Accept", BAND, f"{app.uri}x"))
    assert unknown.status == "ignored"
    other = {**activity("Accept", BAND, app.uri), "result": {"id": "https://fr.smart.example/a/9"}}
    wrong = await receive(db, settings, world, other)
    assert wrong.status == "ignored" and "not the Agreement" in wrong.reason
    [stored] = await applications(db)
    assert stored.state == "pending" and await notifications(db) == []


async def test_a_forwarded_copy_is_shown_to_the_coordinator_it_is_addressed_to(
    db, settings, world, anna
) -> None:
    band = await remote_actor(db, BAND, "Group")
    call = await remote_call(db, band, "https://fr.smart.example/calls/c2")
    original = offer(LEA, call.uri, [BAND])
    copy = activity("Offer", BAND, original, "https://fr.smart.example/activities/fw1")
    copy |= {"to": [anna.uri], "target": call.uri}
    outcome = await receive(db, settings, world, copy)
    assert outcome.status == "processed", outcome.reason
    [app] = await applications(db)
    assert (app.uri, app.local, app.project_id, app.state) == (original["id"], False, band.id,
                                                               "pending")  # fmt: skip
    [note] = await notifications(db)
    assert (note.actor_id, note.kind) == (anna.id, "application")
    twice = activity("Offer", BAND, original, "https://fr.smart.example/activities/fw2")
    twice |= {"to": [anna.uri], "target": call.uri}
    assert (await receive(db, settings, world, twice)).status == "processed"
    assert len(await notifications(db)) == 1 and len(await applications(db)) == 1
    forged = activity("Offer", EVE, original) | {"to": [anna.uri]}
    refused = await receive(db, settings, world, forged)
    assert refused.status == "ignored" and "remote project" in refused.reason
    assert PUBLIC not in str([a.document for a in await sent(db)])
