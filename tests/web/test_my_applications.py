"""/applications: a member sees where their applications stand (the decision included), and
decides on applications forwarded to them for another node's project."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import activity, fan_out, node_client
from tests.inbox import Fediverse, receive
from tests.inbox.applications import applications, make_call, offer, remote_actor, remote_call, sent

LEA = "https://be.smart.example/members/lea"
BAND = "https://fr.smart.example/projects/band"
REMOTE_CALL = "https://fr.smart.example/calls/c1"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(LEA)
    fediverse.actor(BAND, type="Group")
    return fediverse


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


async def test_the_applicant_sees_the_decision(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "bo")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer")
    await sign_in(browser, "bo")
    page = await browser.get(call.uri, headers={"Accept": "text/html"})
    await browser.post("/apply", data={**hidden_fields(page.text), "motivation": "Me"})
    mine = await browser.get("/applications", headers={"Accept-Language": "fr"})
    assert "Drummer" in mine.text and "en attente" in mine.text
    browser.cookies.clear()
    await sign_in(browser, "anna")
    queue = await browser.get(f"{call.uri}/applications")
    [app] = await applications(db)
    await browser.post(f"{call.uri}/applications/{app.id}", data={
        "csrf": hidden_fields(queue.text)["csrf"], "decision": "accept"})  # fmt: skip
    browser.cookies.clear()
    await sign_in(browser, "bo")
    mine = await browser.get("/applications")
    assert "accepted" in mine.text


async def test_a_coordinator_decides_on_a_forwarded_application(
    browser, db, settings, world
) -> None:
    anna = await member_with_password(db, settings, "anna")
    band = await remote_actor(db, BAND, "Group")
    call = await remote_call(db, band, REMOTE_CALL)
    original = offer(LEA, call.uri, [BAND])
    copy = activity("Offer", BAND, original, "https://fr.smart.example/activities/fw")
    copy |= {"to": [anna.uri]}
    assert (await receive(db, settings, world, copy)).status == "processed"
    await sign_in(browser, "anna")
    page = await browser.get("/applications")
    assert 'action="/applications/forwarded"' in page.text
    fields = hidden_fields(page.text)
    assert fields["offer"] == original["id"]
    response = await browser.post("/applications/forwarded", data={**fields, "decision": "reject"})
    assert response.status_code == 303
    [reject] = await sent(db, "Reject")
    assert (reject.actor_id, reject.document["object"]) == (anna.id, original["id"])
    assert await fan_out(db, settings, reject) == ["https://fr.smart.example/inbox"]
    bare = await browser.post("/applications/forwarded", data={"offer": original["id"]})
    assert bare.status_code == 403
