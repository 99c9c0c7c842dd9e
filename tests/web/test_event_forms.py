"""Creating, editing and cancelling events in the browser: every field of the domain, times in
the event's own zone, a project's event by its coordinator, the Create / Update / Delete sent
to followers as the API sends them, and the refusals (visitor, stranger, bad CSRF, bad input)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.storage.models import ContentObject
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import activities, add_follower, fan_out, node_client
from tests.inbox import Fediverse

FOLLOWER = "https://mastodon.example/users/kim"
FIELDS = {
    "name": "Jazzkväll", "content": "Kom och lyssna! #jazz", "language": "sv",
    "starts": "2030-12-07T19:00", "ends": "2030-12-07T22:00", "timezone": "Europe/Stockholm",
    "place_name": "Malmö Opera", "street_address": "Östra Rönneholmsvägen 20",
    "postal_code": "211 47", "locality": "Malmö", "country": "SE", "latitude": "55.6",
    "longitude": "12.99", "online_url": "https://meet.example/jazz", "join_mode": "restricted",
    "capacity": "80", "hashtags": "konsert", "visibility": "public", "tr_lang_1": "en",
    "tr_text_1": "Come and listen!", "tr_lang_2": "de", "tr_text_2": "Kommt und hört zu!",
}  # fmt: skip


@pytest.fixture
async def browser(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


async def events(db) -> list[ContentObject]:
    async with db.session() as s:
        found = await s.scalars(select(ContentObject).where(ContentObject.kind == "event"))
        return list(found.all())


async def _create(browser: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    page = await browser.get("/new/event")
    assert page.status_code == 200, page.text
    return await browser.post("/new/event", data={**hidden_fields(page.text), **FIELDS,
                                                   **fields})  # fmt: skip


async def test_a_member_publishes_an_event_with_every_field(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna", language="sv")
    await add_follower(db, anna, FOLLOWER, shared_inbox="https://mastodon.example/inbox")
    await sign_in(browser, "anna")
    form = await browser.get("/new/event")
    assert 'name="starts" type="datetime-local"' in form.text and 'list="zones"' in form.text
    response = await _create(browser)
    assert response.status_code == 303
    [event] = await events(db)
    assert response.headers["location"] == event.uri.removeprefix(settings.base_url) + (
        "?done=created"
    )
    assert event.starts_at is not None
    assert event.starts_at.astimezone(UTC) == datetime(2030, 12, 7, 18, 0, tzinfo=UTC)
    facts = event.extra["event"]
    assert facts["timezone"] == "Europe/Stockholm" and facts["join_mode"] == "restricted"
    assert facts["capacity"] == 80 and facts["online_url"] == "https://meet.example/jazz"
    assert facts["place"]["locality"] == "Malmö" and facts["place"]["latitude"] == 55.6
    assert event.language == "sv" and "Come and listen!" in event.content_map["en"]
    assert "Kommt und hört zu!" in event.content_map["de"]
    assert {t["name"].lower() for t in event.tags} == {"#jazz", "#konsert"}
    [create] = await activities(db, "Create")
    assert create.document["object"]["type"] == "Event"
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]
    page = await browser.get(response.headers["location"], headers={"Accept": "text/html"})
    assert "Ditt evenemang är publicerat." in page.text or "Your event" in page.text
    assert f'href="/events/{event.uri.rsplit("/", 1)[-1]}/edit"' in page.text


async def test_a_coordinator_publishes_for_the_project(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    await sign_in(browser, "anna")
    page = await browser.get("/new/event?as=jazz")
    assert '<option value="jazz" selected>' in page.text
    response = await _create(browser, **{"as": "jazz"})
    assert response.status_code == 303
    [event] = await events(db)
    assert event.actor_id == jazz.id


async def test_posting_as_someone_elses_project_is_refused(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "bo")
    await make_project(db, settings, "Jazz", "anna")
    await sign_in(browser, "bo")
    response = await _create(browser, **{"as": "jazz"})
    assert response.status_code == 403 and "project you coordinate" in response.text
    assert await events(db) == []


async def test_bad_input_comes_back_with_each_fields_words(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    response = await _create(browser, name="", ends="2030-12-07T18:00", timezone="Mars/Olympus",
                             place_name="", online_url="", capacity="many")  # fmt: skip
    assert response.status_code == 422 and 'class="error-summary"' in response.text
    for field in ("timezone", "capacity"):
        assert f'href="#e-{field}"' in response.text
    assert 'value="Mars/Olympus"' in response.text
    untitled = await _create(browser, name="")
    assert untitled.status_code == 422 and 'href="#e-name"' in untitled.text
    nowhere = await _create(browser, place_name="", online_url="")
    assert nowhere.status_code == 422 and 'href="#e-place_name"' in nowhere.text
    twice = await _create(browser, tr_lang_2="en")
    assert twice.status_code == 422 and 'href="#e-tr_text"' in twice.text
    late = await _create(browser, ends="2030-12-07T18:00")
    assert late.status_code == 422 and 'href="#e-ends"' in late.text
    assert await events(db) == []


async def test_visitors_and_forged_forms_change_nothing(browser, db, settings) -> None:
    visitor = await browser.get("/new/event")
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/signin?")
    await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    forged = await browser.post("/new/event", data=FIELDS)
    assert forged.status_code == 403
    assert await events(db) == []


async def test_the_organiser_edits_and_cancels_and_others_may_not(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await add_follower(db, anna, FOLLOWER, shared_inbox="https://mastodon.example/inbox")
    await member_with_password(db, settings, "bo")
    await sign_in(browser, "anna")
    await _create(browser)
    [event] = await events(db)
    token = event.uri.rsplit("/", 1)[-1]
    form = await browser.get(f"/events/{token}/edit")
    assert form.status_code == 200
    assert 'value="2030-12-07T19:00"' in form.text and 'value="Europe/Stockholm"' in form.text
    assert "Kommt und hört zu!" in form.text and 'name="tr_text_3"' in form.text
    data = {**hidden_fields(form.text), **FIELDS, "name": "Jazzkväll II", "capacity": "",
            "timezone": "Europe/Paris"}  # fmt: skip
    saved = await browser.post(f"/events/{token}/edit", data=data)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=edited")
    [event] = await events(db)
    assert event.name == "Jazzkväll II" and event.extra["event"]["capacity"] is None
    assert event.starts_at is not None
    assert event.starts_at.astimezone(UTC) == datetime(2030, 12, 7, 18, 0, tzinfo=UTC)
    [update] = await activities(db, "Update")
    assert await fan_out(db, settings, update) == ["https://mastodon.example/inbox"]

    other = node_client(settings, Fediverse())
    async with other as bo:
        await sign_in(bo, "bo")
        assert (await bo.get(f"/events/{token}/edit")).status_code == 403
        assert (await bo.get(f"/events/{token}/cancel")).status_code == 403
        bo_fields = hidden_fields((await bo.get("/new/event")).text)
        refused = await bo.post(f"/events/{token}/cancel", data=bo_fields)
        assert refused.status_code == 403
    confirm = await browser.get(f"/events/{token}/cancel")
    assert confirm.status_code == 200 and "Jazzkväll II" in confirm.text
    done = await browser.post(f"/events/{token}/cancel", data=hidden_fields(confirm.text))
    assert done.status_code == 200 and "cancelled" in done.text
    [event] = await events(db)
    assert event.deleted_at is not None
    [delete] = await activities(db, "Delete")
    assert await fan_out(db, settings, delete) == ["https://mastodon.example/inbox"]


async def test_place_parts_and_map_position_are_named_by_their_field(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    half = await _create(browser, longitude="")
    assert half.status_code == 422 and 'href="#e-latitude"' in half.text
    far = await _create(browser, latitude="95")
    assert far.status_code == 422 and 'href="#e-latitude"' in far.text
    long_street = await _create(browser, street_address="x" * 300)
    assert long_street.status_code == 422 and 'href="#e-street_address"' in long_street.text
    assert await events(db) == []
