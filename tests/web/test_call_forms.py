"""Publishing, editing, closing and re-opening a call in the browser: a form with every term
(occupation and skills found in ESCO without JavaScript), published and federated as the
native API publishes it, and only by the project's coordinators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from smartnode.actors.projects import Role, add_to_team
from smartnode.matching.curated import load_seed
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.api.test_v1_calls import get_node_actor_of
from tests.conftest import make_project
from tests.content import activities, add_follower, fan_out, node_client, objects
from tests.inbox import Fediverse
from tests.inbox.applications import make_call

DANCER = "http://data.europa.eu/esco/occupation/07b91f36-8272-493a-8e1c-5625e77efe68"
PERFORM = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"
TEACH = "http://data.europa.eu/esco/skill/c6f88b89-ce2c-4b8c-a133-7ee95bc48efa"
ALICE = "https://mastodon.example/users/alice"
PEER = "https://be.smart.example/actor"
HTML = {"Accept": "text/html"}
LATER = date.today() + timedelta(days=30)


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    fediverse.actor(PEER, type="Application")
    return fediverse


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with db.session() as s, s.begin():
        await load_seed(s, datetime.now(UTC))
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def opera(db, settings):
    """anna coordinates Opera; bo is a plain member of its team."""
    await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo")
    project = await make_project(db, settings, "Opera", "anna", slug="opera", language="sv",
                                 country="SE", city="Malmö")  # fmt: skip
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.MEMBER, datetime.now(UTC))
    return project


def terms(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Dancers for Carmen", "description": "We look for two dancers.",
        "language": "sv", "occupation": DANCER, "skills": [PERFORM, TEACH],
        "languages": ["sv", "en"], "country": "SE", "city": "Malmö", "remote": "",
        "starts_on": "2027-03-01", "ends_on": "2027-04-30", "closes_on": LATER.isoformat(),
        "positions": "2", "effort_amount": "40", "effort_unit": "day", "pay_amount": "3000",
        "pay_currency": "EUR", "pay_unit": "month", "hashtags": "dance", "visibility": "public",
        "description_en": "Two dancers wanted.",
        **fields,
    }  # fmt: skip


async def csrf_of(browser, path: str) -> str:
    page = await browser.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    return hidden_fields(page.text)["csrf"]


async def test_a_coordinator_publishes_a_call_that_federates(browser, db, settings, opera) -> None:
    await add_follower(db, opera, ALICE, shared_inbox="https://mastodon.example/inbox")
    await add_follower(db, await get_node_actor_of(db), PEER,
                       shared_inbox="https://be.smart.example/inbox")  # fmt: skip
    await sign_in(browser, "anna")
    form = await browser.get("/projects/opera/calls/new")
    assert form.status_code == 200 and '<option value="SEK" ' not in form.text
    assert 'value="SEK"' in form.text  # the project's country's currency by default
    csrf = hidden_fields(form.text)["csrf"]
    response = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms()})
    assert response.status_code == 303
    [row] = await objects(db)
    assert response.headers["location"] == row.uri.removeprefix(settings.base_url)
    assert (row.kind, row.state, row.visibility, row.name) == (
        "call", "open", "public", "Dancers for Carmen")  # fmt: skip
    call = row.extra["call"]
    assert call["occupation"] == DANCER and [s["uri"] for s in call["skills"]] == [PERFORM, TEACH]
    assert (call["country"], call["city"], call["positions"]) == ("SE", "Malmö", 2)
    assert call["paid"] == {"amount": "3000", "currency": "EUR", "unit": "month"}
    assert call["languages"] == ["sv", "en"] and row.closes_at is not None
    assert list(row.content_map) == ["sv", "en"] and "Two dancers wanted." in row.content_map["en"]
    [create] = await activities(db, "Create")
    assert create.document["object"]["publishes"]["resourceConformsTo"] == DANCER
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]
    [announce] = await activities(db, "Announce")
    assert await fan_out(db, settings, announce) == ["https://be.smart.example/inbox"]
    page = await browser.get(response.headers["location"], headers=HTML)
    assert "Dancers for Carmen" in page.text
    assert 'href="' + response.headers["location"] + '/edit"' in page.text
    assert "Close the call" in page.text


async def test_find_shows_esco_entries_to_choose_and_keeps_the_input(
    browser, db, settings, opera
) -> None:
    await sign_in(browser, "anna")
    csrf = await csrf_of(browser, "/projects/opera/calls/new")
    found = await browser.post("/projects/opera/calls/new", data={
        "csrf": csrf, **terms(occupation="", skills=[PERFORM]), "occupation_q": "danc",
        "skills_q": "danc", "find": "occupation"})  # fmt: skip
    assert found.status_code == 200 and await objects(db) == []
    assert f'value="{DANCER}"' in found.text and ">dancer</label>" in found.text
    assert f'value="{TEACH}"' in found.text and f'value="{PERFORM}" checked' in found.text
    swedish = await browser.post("/projects/opera/calls/new", data={
        "csrf": csrf, **terms(occupation=""), "occupation_q": "dans", "find": "occupation"},
        headers={"Accept-Language": "sv"})  # fmt: skip
    assert ">dansare</label>" in swedish.text  # ESCO labels in the page's language
    assert 'value="Dancers for Carmen"' in found.text


async def test_bad_terms_come_back_with_errors_next_to_their_fields(
    browser, db, settings, opera
) -> None:
    await sign_in(browser, "anna")
    csrf = await csrf_of(browser, "/projects/opera/calls/new")
    response = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms(
        title="", pay_amount="lots", positions="0")})  # fmt: skip
    assert response.status_code == 422 and 'class="error-summary"' in response.text
    for anchor in ("f-title", "f-pay_amount", "f-positions"):
        assert f'href="#{anchor}"' in response.text and f'id="{anchor}-error"' in response.text
    assert ">We look for two dancers.</textarea>" in response.text
    assert await objects(db) == [] and await activities(db, "Create") == []
    nowhere = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms(
        country="", city="")})  # fmt: skip
    assert nowhere.status_code == 422 and 'id="f-country-error"' in nowhere.text
    backwards = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms(
        ends_on="2027-01-01")})  # fmt: skip
    assert backwards.status_code == 422 and 'id="f-ends_on-error"' in backwards.text
    late = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms(
        closes_on="2020-01-01")})  # fmt: skip
    assert late.status_code == 422 and 'href="#f-closes_on"' in late.text


async def test_a_coordinator_edits_closes_and_reopens_the_call(
    browser, db, settings, opera
) -> None:
    await sign_in(browser, "anna")
    csrf = await csrf_of(browser, "/projects/opera/calls/new")
    created = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms()})
    path = created.headers["location"]
    form = await browser.get(f"{path}/edit")
    assert form.status_code == 200 and 'value="Dancers for Carmen"' in form.text
    assert f'value="{DANCER}" checked' in form.text and 'value="3000"' in form.text
    assert 'id="f-effort_amount" name="effort_amount" type="number" value="40"' in form.text
    assert f'value="{LATER.isoformat()}"' in form.text
    assert ">Two dancers wanted.</textarea>" in form.text
    changed = await browser.post(f"{path}/edit", data={"csrf": csrf, **terms(
        title="Three dancers", positions="3", remote="1", pay_amount="")})  # fmt: skip
    assert changed.status_code == 303 and changed.headers["location"] == path
    [row] = await objects(db)
    assert row.name == "Three dancers" and row.extra["call"]["positions"] == 3
    assert row.extra["call"]["paid"] is None and row.extra["call"]["remote"] is True
    [update] = await activities(db, "Update")
    assert update.document["object"]["id"] == row.uri
    closed = await browser.post(f"{path}/state", data={"csrf": csrf, "state": "closed"})
    assert closed.status_code == 303
    page = await browser.get(path, headers=HTML)
    assert "This call is closed." in page.text and "Re-open the call" in page.text
    again = await browser.post(f"{path}/state", data={"csrf": csrf, "state": "closed"})
    assert again.status_code == 409
    reopened = await browser.post(f"{path}/state", data={"csrf": csrf, "state": "open"})
    assert reopened.status_code == 303
    [row] = await objects(db)
    assert row.state == "open" and len(await activities(db, "Update")) == 3


async def test_only_coordinators_publish_and_change_calls(browser, db, settings, opera) -> None:
    assert (await browser.get("/projects/opera/calls/new")).status_code == 303
    await sign_in(browser, "anna")
    csrf = await csrf_of(browser, "/projects/opera/calls/new")
    created = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms()})
    path = created.headers["location"]
    browser.cookies.clear()
    await sign_in(browser, "bo")  # in the team, not a coordinator
    assert (await browser.get("/projects/opera/calls/new")).status_code == 403
    page = await browser.get(path, headers=HTML)
    assert f'href="{path}/edit"' not in page.text and "Close the call" not in page.text
    csrf = hidden_fields(page.text)["csrf"]
    refused = await browser.post("/projects/opera/calls/new", data={"csrf": csrf, **terms()})
    assert refused.status_code == 403 and len(await objects(db)) == 1
    assert (await browser.get(f"{path}/edit")).status_code == 403
    edit = await browser.post(f"{path}/edit", data={"csrf": csrf, **terms(title="Mine")})
    assert edit.status_code == 403
    close = await browser.post(f"{path}/state", data={"csrf": csrf, "state": "closed"})
    assert close.status_code == 403
    [row] = await objects(db)
    assert (row.name, row.state) == ("Dancers for Carmen", "open")
    assert await activities(db, "Update") == []
    no_token = await browser.post(f"{path}/state", data={"state": "closed"})
    assert no_token.status_code == 403


async def test_a_call_without_its_saved_input_is_edited_from_its_title(
    browser, db, settings, opera
) -> None:
    call = await make_call(db, settings, opera, title="Old call")
    await sign_in(browser, "anna")
    path = call.uri.removeprefix(settings.base_url)
    form = await browser.get(f"{path}/edit")
    assert form.status_code == 200 and 'value="Old call"' in form.text
    assert (await browser.get("/calls/00ff/edit")).status_code == 404
