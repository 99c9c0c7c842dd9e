"""FEP-0837 to the letter on the project's side: an Offer{Agreement} as the FEP shows it (no
Agreement id, no inReplyTo) is taken; Commitments that do not answer the call are answered with
Reject{Offer, content} and store nothing; Accept carries the finalized Agreement with ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smartnode.actors.projects import Role
from smartnode.actors.records import node_uris
from smartnode.content.calls import create_call, edit_call
from smartnode.content.calls_inputs import CallInput, CallUpdate
from smartnode.storage.models import ContentObject
from tests.conftest import make_member, make_project
from tests.content import activity, fan_out, member_headers, node_client
from tests.inbox import AS, Fediverse, receive
from tests.inbox.applications import (
    applications,
    join_team,
    make_call,
    notifications,
    receive_at,
    remote_actor,
    sent,
)

LEA = "https://be.smart.example/members/lea"
MARC = "https://fr.smart.example/members/marc"
PAID = {"effort": {"amount": "40", "unit": "day"},
        "paid": {"amount": "3000", "currency": "EUR", "unit": "month"}}  # fmt: skip


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(LEA)
    fediverse.actor(MARC)
    return fediverse


@pytest.fixture
async def jazz(db, settings):
    await make_member(db, settings, "anna")
    return await make_project(db, settings, "Jazz", "anna")


def commitment(intent: str, unit: str, amount: str) -> dict[str, Any]:
    return {"type": "Commitment", "satisfies": intent,
            "resourceQuantity": {"hasUnit": unit, "hasNumericalValue": amount}}  # fmt: skip


def fep_offer(call: str, to: str, **agreement: Any) -> dict[str, Any]:
    """Offer{Agreement} shaped as FEP-0837's example: no Agreement id, no inReplyTo/target."""
    return {
        "@context": AS, "id": "https://be.smart.example/objects/fc4a/offer", "type": "Offer",
        "actor": LEA, "to": to,
        "object": {"type": "Agreement",
                   "stipulates": commitment(f"{call}#primary", "day", "40"),
                   "stipulatesReciprocal": commitment(f"{call}#reciprocal", "EUR", "3000"),
                   **agreement},
    }  # fmt: skip


async def test_an_offer_shaped_as_the_fep_example_is_taken(db, settings, world, jazz) -> None:
    call = await make_call(db, settings, jazz, terms=PAID)
    body = fep_offer(call.uri, jazz.uri)
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "processed", outcome.reason
    [app] = await applications(db)
    assert (app.uri, app.call_id, app.state, app.agreement_uri) == (
        body["id"], call.id, "pending", None)  # fmt: skip
    assert await sent(db, "Reject") == []


@pytest.mark.parametrize(
    ("agreement", "reason"),
    [
        ({"stipulates": {"type": "Commitment", "satisfies": "https://x.example/calls/9#primary",
                         "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "40"}}},
         "does not satisfy the call's intent"),
        ({"stipulates": {"type": "Note"}}, "stipulates is not a Commitment"),
        ({"stipulates": "CALL#primary"}, "stipulates is not a Commitment"),
        ({"stipulates": {"type": "Commitment", "satisfies": "CALL#primary"}},
         "no resourceQuantity"),
        ({"stipulates": {"type": "Commitment", "satisfies": "CALL#primary",
                         "resourceQuantity": {"hasUnit": "hour", "hasNumericalValue": "40"}}},
         "the unit must be 'day'"),
        ({"stipulates": {"type": "Commitment", "satisfies": "CALL#primary",
                         "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "20"}}},
         "the amount must be 40 day"),
        ({"stipulatesReciprocal": None}, "the call is paid"),
        ({"stipulatesReciprocal": {"type": "Commitment", "satisfies": "CALL#reciprocal",
                                   "resourceQuantity": {"hasUnit": "EUR",
                                                        "hasNumericalValue": "9000"}}},
         "stipulatesReciprocal: the amount must be 3000 EUR"),
    ],
)  # fmt: skip
async def test_commitments_that_do_not_answer_the_call_are_rejected_with_a_reason(
    db, settings, world, jazz, agreement, reason
) -> None:
    call = await make_call(db, settings, jazz, terms=PAID)
    fixed = {k: _at(v, call.uri) for k, v in agreement.items()}
    body = fep_offer(call.uri, jazz.uri, **fixed) | {"inReplyTo": call.uri}  # names the call
    if fixed.get("stipulatesReciprocal", "") is None:
        del body["object"]["stipulatesReciprocal"]
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "ignored" and reason in outcome.reason, outcome.reason
    assert await applications(db) == [] and await notifications(db) == []
    [rejection] = await sent(db)
    doc = rejection.document
    assert (rejection.activity_type, rejection.actor_id, doc["object"]) == (
        "Reject", jazz.id, body["id"])  # fmt: skip
    assert doc["to"] == [LEA] and "cc" not in doc and not rejection.public
    assert reason in doc["content"]
    assert await fan_out(db, settings, rejection) == ["https://be.smart.example/inbox"]
    again = await receive_at(db, settings, world, body, f"{jazz.uri}/inbox")
    assert again.status == "ignored" and "Reject sent before" in again.reason
    assert len(await sent(db, "Reject")) == 1


def _at(value: Any, call: str) -> Any:
    """`CALL` in a parametrized document stands for the call's id."""
    if isinstance(value, dict):
        return {k: _at(v, call) for k, v in value.items()}
    return value.replace("CALL", call) if isinstance(value, str) else value


async def test_an_unpaid_call_takes_no_reciprocal_commitment(db, settings, world, jazz) -> None:
    call = await make_call(db, settings, jazz)
    body = fep_offer(call.uri, jazz.uri, stipulates=commitment(f"{call.uri}#primary", "one", "1"))
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "ignored" and "asks for nothing in return" in outcome.reason
    [rejection] = await sent(db, "Reject")
    assert "stipulatesReciprocal" in rejection.document["content"]
    assert await applications(db) == []


async def test_an_offer_for_a_closed_call_is_rejected_not_silenced(
    db, settings, world, jazz
) -> None:
    call = await make_call(db, settings, jazz, state="filled", terms=PAID)
    outcome = await receive(db, settings, world, fep_offer(call.uri, jazz.uri))
    assert outcome.status == "ignored" and "filled" in outcome.reason
    [rejection] = await sent(db, "Reject")
    assert "the call is filled" in rejection.document["content"]
    assert await applications(db) == []


async def test_a_forged_offer_is_ignored_without_any_answer(db, settings, world, jazz) -> None:
    call = await make_call(db, settings, jazz, terms=PAID)
    forged = fep_offer(call.uri, jazz.uri) | {"id": "https://evil.example/objects/1/offer"}
    bad = fep_offer(call.uri, jazz.uri, id="https://evil.example/agreements/1")
    elsewhere = fep_offer(call.uri, "https://se.smart.test/projects/other")
    unknown = fep_offer(call.uri, jazz.uri, stipulates=commitment(
        "https://x.example/calls/9#primary", "day", "40"))  # fmt: skip
    cases = ((forged, "Offer id is not on its actor"), (bad, "Agreement id is not on its actor"),
             (elsewhere, "not addressed to the call's project"),
             (unknown, "not for one of our calls"))  # fmt: skip
    for number, (body, reason) in enumerate(cases):
        if number:
            body["id"] = f"https://be.smart.example/objects/{number}/offer"
        outcome = await receive(db, settings, world, body)
        assert outcome.status == "ignored" and reason in outcome.reason, outcome.reason
    assert await applications(db) == [] and await sent(db) == []


async def test_accept_carries_the_finalized_agreement_with_ids_and_the_offered_quantities(
    db, settings, world, jazz
) -> None:
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.COORDINATOR)
    call = await make_call(db, settings, jazz, terms=PAID)
    body = fep_offer(call.uri, jazz.uri)
    assert (await receive(db, settings, world, body)).status == "processed"
    outcome = await receive(db, settings, world, activity("Accept", MARC, body["id"]))
    assert outcome.status == "processed", outcome.reason
    [app] = await applications(db)
    agreement = app.agreement_uri
    assert agreement and agreement.startswith(f"{settings.base_url}/agreements/")
    [accept] = await sent(db, "Accept")
    doc = accept.document
    assert (accept.actor_id, doc["object"], doc["to"]) == (jazz.id, body["id"], [LEA])
    result = doc["result"]
    assert (result["id"], result["type"]) == (agreement, "Agreement")
    offered = body["object"]
    for key, fragment in (("stipulates", "primary"), ("stipulatesReciprocal", "reciprocal")):
        assert result[key] == {"id": f"{agreement}#{fragment}", **offered[key]}
    assert "stipulatesReciprocal" in doc["@context"][-1] and "hasUnit" in doc["@context"][-1]


async def test_the_finalized_agreement_keeps_the_terms_offered_when_the_call_changes_later(
    db, settings, world, jazz
) -> None:
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.COORDINATOR)
    published = CallInput.model_validate({
        "title": "Sound engineer", "description": "Mix the tour.", "remote": True,
        "effort": {"amount": "40", "unit": "day"},
        "paid": {"amount": "3000", "currency": "EUR", "unit": "month"},
    })  # fmt: skip
    async with db.session() as s, s.begin():
        call = await create_call(s, node_uris(settings), project=jazz, data=published,
                                 now=datetime.now(UTC))  # fmt: skip
    body = fep_offer(call.uri, jazz.uri)
    assert (await receive(db, settings, world, body)).status == "processed", body
    raise_pay = CallUpdate.model_validate(
        {"paid": {"amount": "3500", "currency": "EUR", "unit": "month"}}
    )
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, call.id)
        assert row is not None
        await edit_call(s, node_uris(settings), row, raise_pay, datetime.now(UTC))
    assert (await receive(db, settings, world, activity("Accept", MARC, body["id"]))).status == (
        "processed")  # fmt: skip
    [accept] = await sent(db, "Accept")
    reciprocal = accept.document["result"]["stipulatesReciprocal"]["resourceQuantity"]
    assert reciprocal == {"hasUnit": "EUR", "hasNumericalValue": "3000"}  # as offered
    [app] = await applications(db)
    assert app.terms["reciprocal"]["amount"] == "3000"


# ---------------------------------------------------------------- on the applicant's node

BAND = "https://fr.smart.example/projects/band"
REMOTE_CALL = "https://fr.smart.example/proposals/p1"


async def _applied_to_a_remote_proposal(db, settings, world):
    """Our member applies to a remote paid Proposal whose intent ids are not `#primary`."""
    world.actor(BAND, type="Group")
    anna = await make_member(db, settings, "anna")
    band = await remote_actor(db, BAND, "Group")
    proposal = {
        "id": REMOTE_CALL, "type": "Proposal", "purpose": "request", "attributedTo": BAND,
        "name": "Light designer", "content": "<p>Light designer</p>",
        "to": "https://www.w3.org/ns/activitystreams#Public", "unitBased": True,
        "publishes": {"id": f"{REMOTE_CALL}#work", "type": "Intent", "action": "deliverService",
                      "resourceQuantity": {"hasUnit": "hour", "hasNumericalValue": "8"}},
        "reciprocal": {"id": f"{REMOTE_CALL}#pay", "type": "Intent", "action": "transfer",
                       "resourceQuantity": {"hasUnit": "EUR", "hasNumericalValue": "400"}},
    }  # fmt: skip
    world.serve(REMOTE_CALL, proposal)
    async with node_client(settings, world) as api:
        response = await api.post("/api/smart/v1/applications",
                                  headers=await member_headers(db, anna),
                                  json={"call": REMOTE_CALL, "motivation": "I light"})  # fmt: skip
    assert response.status_code == 201, response.text
    [app] = await applications(db)
    return app, band


async def test_our_offer_commits_to_the_remote_proposals_own_intents(db, settings, world) -> None:
    app, _ = await _applied_to_a_remote_proposal(db, settings, world)
    [sent_offer] = await sent(db, "Offer")
    doc = sent_offer.document
    assert (doc["id"], doc["to"], doc["inReplyTo"]) == (app.uri, [BAND], REMOTE_CALL)
    agreement = doc["object"]
    assert agreement["type"] == "Agreement" and "id" not in agreement
    assert agreement["stipulates"] == commitment(f"{REMOTE_CALL}#work", "hour", "8")
    assert agreement["stipulatesReciprocal"] == commitment(f"{REMOTE_CALL}#pay", "EUR", "400")
    assert "stipulatesReciprocal" in doc["@context"][-1]


async def test_the_projects_accept_is_kept_only_with_its_own_finalized_agreement(
    db, settings, world
) -> None:
    app, _ = await _applied_to_a_remote_proposal(db, settings, world)
    elsewhere = {"id": "https://evil.example/agreements/1", "type": "Agreement"}
    wrong = {"id": "https://fr.smart.example/agreements/2", "type": "Agreement",
             "stipulates": commitment(f"{REMOTE_CALL}#other", "hour", "8")}  # fmt: skip
    for number, result in enumerate((elsewhere, wrong)):
        accept = activity("Accept", BAND, app.uri, f"{BAND}#accept-{number}") | {"result": result}
        outcome = await receive(db, settings, world, accept)
        assert outcome.status == "ignored" and "not the Agreement" in outcome.reason
    finalized = {"id": "https://fr.smart.example/agreements/3", "type": "Agreement",
                 "stipulates": commitment(f"{REMOTE_CALL}#work", "hour", "8") | {
                     "id": "https://fr.smart.example/agreements/3#primary"}}  # fmt: skip
    accept = activity("Accept", BAND, app.uri, f"{BAND}#accept-ok") | {"result": finalized}
    outcome = await receive(db, settings, world, accept)
    assert outcome.status == "processed", outcome.reason
    [stored] = await applications(db)
    assert (stored.state, stored.agreement_uri) == ("accepted", finalized["id"])


async def test_a_reject_with_a_reason_reaches_our_member(db, settings, world) -> None:
    app, _ = await _applied_to_a_remote_proposal(db, settings, world)
    reject = activity("Reject", BAND, app.uri) | {"content": "<p>Not <b>available</b></p>"}
    outcome = await receive(db, settings, world, reject)
    assert outcome.status == "processed", outcome.reason
    [stored] = await applications(db)
    [note] = await notifications(db)
    assert stored.state == "rejected" and note.data["reason"] == "Not available"


async def test_the_coordinators_message_with_an_accept_reaches_our_member(
    db, settings, world
) -> None:
    app, _ = await _applied_to_a_remote_proposal(db, settings, world)
    accept = activity("Accept", BAND, app.uri) | {"content": "<p>Welcome <b>aboard</b></p>"}
    outcome = await receive(db, settings, world, accept)
    assert outcome.status == "processed", outcome.reason
    [stored] = await applications(db)
    [note] = await notifications(db)
    assert stored.state == "accepted" and note.data["message"] == "Welcome aboard"
    assert "reason" not in note.data
