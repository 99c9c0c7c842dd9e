"""GET /agreements/{token}: the finalized FEP-0837 Agreement dereferences at its id, for its
parties only (the applicant's signed fetch, the project's coordinators by token or signed
fetch); a 404 to everyone else and before acceptance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from smartnode.actors.projects import Role
from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from tests.conftest import make_member, make_project
from tests.content import member_headers, node_client
from tests.inbox import Fediverse, receive
from tests.inbox.applications import applications, join_team, make_call, offer, remote_actor

LEA = "https://be.smart.example/members/lea"
MARC = "https://fr.smart.example/members/marc"
MALLORY = "https://evil.example/users/mallory"
KEYS = {uri: generate_rsa_keypair() for uri in (LEA, MARC, MALLORY)}
AP = {"Accept": "application/activity+json"}
PAID = {"effort": {"amount": "5", "unit": "day"},
        "paid": {"amount": "250", "currency": "EUR", "unit": "day"}}  # fmt: skip


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    for uri, (_, public) in KEYS.items():
        fediverse.actor(uri, pem=public)
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


def signed(url: str, actor: str) -> dict[str, str]:
    """Headers of a GET of `url` signed by `actor`."""
    key = load_private_key(KEYS[actor][0])
    return {**AP, **sign_request_cavage("GET", url, AP, None, f"{actor}#main-key", key,
                                        datetime.now(UTC))}  # fmt: skip


async def _offered(db, settings, world):
    anna = await make_member(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.COORDINATOR)
    call = await make_call(db, settings, jazz, terms=PAID)
    body = offer(LEA, call.uri, [jazz.uri], object={
        "type": "Agreement",
        "stipulates": {"type": "Commitment", "satisfies": f"{call.uri}#primary",
                       "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "5"}},
        "stipulatesReciprocal": {"type": "Commitment", "satisfies": f"{call.uri}#reciprocal",
                                 "resourceQuantity": {"hasUnit": "EUR",
                                                      "hasNumericalValue": "250"}}})  # fmt: skip
    assert (await receive(db, settings, world, body)).status == "processed"
    [app] = await applications(db)
    return anna, jazz, call, app


async def test_the_finalized_agreement_is_served_to_its_parties_only(
    api, db, settings, world
) -> None:
    anna, _, call, app = await _offered(db, settings, world)
    anna_headers = {**AP, **await member_headers(db, anna)}
    short = await api.post(f"/api/smart/v1/applications/{app.id}/shortlist", headers=anna_headers)
    assert short.status_code == 200
    [pending] = await applications(db)
    assert pending.agreement_uri is None  # nothing to dereference before acceptance
    accepted = await api.post(f"/api/smart/v1/applications/{app.id}/accept", headers=anna_headers)
    assert accepted.status_code == 200, accepted.text
    [app] = await applications(db)
    uri = app.agreement_uri
    assert uri and uri.startswith(f"{settings.base_url}/agreements/")
    for headers in (signed(uri, LEA), anna_headers, signed(uri, MARC)):
        response = await api.get(uri, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/activity+json")
        assert response.headers["cache-control"] == "private, no-store"
        doc = response.json()
        assert (doc["id"], doc["type"]) == (uri, "Agreement")
        assert doc["stipulates"] == {
            "id": f"{uri}#primary", "type": "Commitment", "satisfies": f"{call.uri}#primary",
            "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "5"}}  # fmt: skip
        assert doc["stipulatesReciprocal"]["id"] == f"{uri}#reciprocal"
        assert doc["stipulatesReciprocal"]["resourceQuantity"]["hasNumericalValue"] == "250"
    bo = await make_member(db, settings, "bo")
    strangers = (signed(uri, MALLORY), {**AP, **await member_headers(db, bo)}, AP,
                 {**AP, "Authorization": "Bearer nope"})  # fmt: skip
    for headers in strangers:
        response = await api.get(uri, headers=headers)
        assert response.status_code == 404 and "Agreement" not in response.text
    other = f"{settings.base_url}/agreements/0123abcd"
    assert (await api.get(other, headers=signed(other, LEA))).status_code == 404


async def test_a_rejected_application_finalizes_nothing_and_a_local_one_is_served_to_its_applicant(
    api, db, settings, world
) -> None:
    anna, jazz, _, app = await _offered(db, settings, world)
    anna_headers = {**AP, **await member_headers(db, anna)}
    rejected = await api.post(f"/api/smart/v1/applications/{app.id}/reject", headers=anna_headers)
    assert rejected.status_code == 200
    [app] = await applications(db)
    assert app.agreement_uri is None  # a rejected application finalizes nothing
    bo = await make_member(db, settings, "bo")
    bo_headers = {**AP, **await member_headers(db, bo)}
    other = await make_call(db, settings, jazz, title="Bassist")
    applied = await api.post("/api/smart/v1/applications", headers=bo_headers,
                             json={"call": other.uri, "motivation": "me"})  # fmt: skip
    assert applied.status_code == 201, applied.text
    decided = await api.post(f"/api/smart/v1/applications/{applied.json()['id']}/accept",
                             headers=anna_headers)  # fmt: skip
    assert decided.status_code == 200
    [_, local] = await applications(db)
    uri = local.agreement_uri
    assert uri and uri.startswith(f"{settings.base_url}/agreements/")
    served = await api.get(uri, headers=bo_headers)  # the local applicant, by token
    assert served.status_code == 200 and served.json()["stipulates"]["resourceQuantity"] == {
        "hasUnit": "one", "hasNumericalValue": "1"}  # fmt: skip
    assert "stipulatesReciprocal" not in served.json()
    assert (await api.get(uri, headers=signed(uri, LEA))).status_code == 404
