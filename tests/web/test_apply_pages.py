"""Applying in the browser: the call page's form (CSRF), the application row, the Offer to a
remote call's project queued as the native API queues it, and what visitors are offered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_member, make_project
from tests.content import fan_out, node_client
from tests.inbox import Fediverse
from tests.inbox.applications import applications, make_call, remote_actor, remote_call, sent

BAND = "https://fr.smart.example/projects/band"
REMOTE_CALL = "https://fr.smart.example/calls/c1"
HTML = {"Accept": "text/html"}


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(BAND, type="Group")
    return fediverse


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


async def _call(db, settings):
    await make_member(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    return await make_call(db, settings, jazz, terms={"remote": True, "positions": 2})


async def test_a_member_applies_through_the_call_pages_form(browser, db, settings) -> None:
    call = await _call(db, settings)
    bo = await member_with_password(db, settings, "bo")
    await sign_in(browser, "bo")
    path = call.uri.removeprefix(settings.base_url)
    page = await browser.get(path, headers=HTML)
    assert page.status_code == 200 and 'action="/apply"' in page.text
    assert "Remote" in page.text and "Positions" in page.text
    fields = hidden_fields(page.text)
    assert fields["call"] == call.uri and fields["csrf"]
    response = await browser.post("/apply", data={**fields, "motivation": "I mix <live>",
                                                  "links": "https://bo.example/cv\n"})  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == f"{path}?applied=1#apply"
    [app] = await applications(db)
    assert (app.applicant_id, app.call_id, app.state) == (bo.id, call.id, "pending") and app.local
    assert app.links == ["https://bo.example/cv"] and "&lt;live&gt;" in app.motivation
    again = await browser.post("/apply", data={**fields, "motivation": "Again"})
    assert again.status_code == 409 and "already applied" in again.text
    assert len(await applications(db)) == 1


async def test_bad_fields_come_back_with_an_error_summary(browser, db, settings) -> None:
    call = await _call(db, settings)
    await member_with_password(db, settings, "bo")
    await sign_in(browser, "bo")
    page = await browser.get(call.uri.removeprefix(settings.base_url), headers=HTML)
    fields = hidden_fields(page.text)
    response = await browser.post("/apply", data={**fields, "motivation": "",
                                                  "links": "not a link"})  # fmt: skip
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and 'href="#a-links"' in response.text
    assert await applications(db) == []


async def test_without_the_csrf_token_nothing_is_applied(browser, db, settings) -> None:
    call = await _call(db, settings)
    await member_with_password(db, settings, "bo")
    await sign_in(browser, "bo")
    response = await browser.post("/apply", data={"call": call.uri, "motivation": "Hi"})
    assert response.status_code == 403
    foreign = await browser.post("/apply", data={"call": call.uri, "motivation": "Hi"},
                                 headers={"Origin": "https://evil.example"})  # fmt: skip
    assert foreign.status_code == 403
    assert await applications(db) == []


async def test_applying_to_a_remote_call_queues_the_offer_to_its_project(
    browser, db, settings
) -> None:
    band = await remote_actor(db, BAND, "Group")
    await remote_call(db, band, REMOTE_CALL)
    bo = await member_with_password(db, settings, "bo")
    await sign_in(browser, "bo")
    form = await browser.get("/apply", params={"uri": REMOTE_CALL})
    assert form.status_code == 200 and "Light designer" in form.text
    response = await browser.post("/apply", data={**hidden_fields(form.text),
                                                  "motivation": "Lights!"})  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/apply/sent"
    [app] = await applications(db)
    assert (app.local, app.project_id, app.applicant_id) == (False, band.id, bo.id)
    [offer] = await sent(db)
    assert offer.activity_type == "Offer" and offer.document["to"] == [BAND]
    assert await fan_out(db, settings, offer) == ["https://fr.smart.example/inbox"]


async def test_a_visitor_is_offered_sign_in_and_their_own_server(browser, db, settings) -> None:
    call = await _call(db, settings)
    path = call.uri.removeprefix(settings.base_url)
    page = (await browser.get(path, headers=HTML)).text
    assert 'action="/apply"' not in page
    assert f'href="/signin?next={path.replace("/", "%2F")}%23apply"' in page
    assert 'action="/interact"' in page
    assert (await browser.get("/apply", params={"uri": call.uri})).status_code == 303
