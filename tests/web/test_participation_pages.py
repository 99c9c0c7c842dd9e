"""Join and Leave on an event's page by its join mode and capacity, the organisers' list with
Accept and Refuse, the .ics link, and the refusals (visitor, stranger, forged form)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.accounts.principal import member as member_principal
from smartnode.actors.records import find_local_actor, node_uris
from smartnode.content.events import create_event
from smartnode.content.events_inputs import EventInput
from smartnode.content.participation_cases import take_part
from smartnode.storage.models import ContentObject
from smartnode.storage.models_work import EventParticipant, Notification
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.content import node_client
from tests.inbox import Fediverse

HTML = {"Accept": "text/html"}
SOON = datetime.now(UTC) + timedelta(days=10)


@pytest.fixture
async def browser(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


async def an_event(db, settings, author: str = "anna", **fields: Any) -> tuple[str, str]:
    """Arrange: an event by `author` (through the domain); its page's path and token."""
    data = EventInput.model_validate({
        "name": "Open rehearsal", "content": "Come and play", "starts_at": SOON.isoformat(),
        "timezone": "Europe/Brussels", "online_url": "https://meet.example/r", **fields,
    })  # fmt: skip
    async with db.session() as s, s.begin():
        actor = await find_local_actor(s, author)
        assert actor is not None
        event = await create_event(s, node_uris(settings), author=actor, data=data,
                                   now=datetime.now(UTC))  # fmt: skip
    token = event.uri.rsplit("/", 1)[-1]
    return f"/events/{token}", token


async def rows(db) -> list[EventParticipant]:
    async with db.session() as s:
        return list((await s.scalars(select(EventParticipant).order_by("id"))).all())


async def count_on(db) -> int:
    async with db.session() as s:
        event = await s.scalar(select(ContentObject).where(ContentObject.kind == "event"))
        assert event is not None
        return int(event.extra["event"]["participants"])


async def press(client: httpx.AsyncClient, path: str, action: str, **fields: str):
    page = await client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    return await client.post(action, data={**hidden_fields(page.text), **fields})


async def answer(client: httpx.AsyncClient, token: str, row_id: int, page: str, decision: str):
    data = {**hidden_fields(page), "decision": decision}
    return await client.post(f"/events/{token}/participants/{row_id}", data=data)


async def test_a_member_joins_an_open_event_and_leaves_it(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    ben = await member_with_password(db, settings, "ben")
    path, token = await an_event(db, settings)
    await sign_in(browser, "ben")
    page = await browser.get(path, headers=HTML)
    assert f'action="/events/{token}/join"' in page.text and ">Join</button>" in page.text
    assert f"/api/smart/v1/events/{token}.ics" in page.text
    assert "/participants" not in page.text and page.headers["cache-control"].startswith("private")
    joined = await press(browser, path, f"/events/{token}/join")
    assert joined.status_code == 303
    assert joined.headers["location"] == f"{path}?done=joined#take-part"
    [row] = await rows(db)
    assert (row.actor_id, row.state) == (ben.id, "accepted") and await count_on(db) == 1
    page = await browser.get(f"{path}?done=joined", headers=HTML)
    assert "You are taking part." in page.text and "Leave the event" in page.text
    mine = await browser.get("/account/events")
    assert (
        mine.status_code == 200 and "Open rehearsal" in mine.text and "You take part" in mine.text
    )
    left = await press(browser, path, f"/events/{token}/leave")
    assert left.status_code == 303 and left.headers["location"].endswith("?done=left#take-part")
    assert await rows(db) == [] and await count_on(db) == 0
    assert "You take part in no event yet." in (await browser.get("/account/events")).text


async def test_on_approval_the_organiser_accepts_and_refuses(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    ben = await member_with_password(db, settings, "ben")
    await member_with_password(db, settings, "cleo")
    path, token = await an_event(db, settings, join_mode="restricted")
    for name in ("ben", "cleo"):
        async with node_client(settings, Fediverse()) as them:
            await sign_in(them, name)
            page = await them.get(path, headers=HTML)
            assert "Ask to take part" in page.text and 'name="message"' in page.text
            asked = await press(them, path, f"/events/{token}/join", message=f"{name} plays bass")
            assert asked.headers["location"].endswith("?done=asked#take-part")
    assert [r.state for r in await rows(db)] == ["pending", "pending"]
    await sign_in(browser, "anna")
    page = await browser.get(path, headers=HTML)
    assert f'href="/events/{token}/participants"' in page.text
    listing = await browser.get(f"/events/{token}/participants")
    assert listing.status_code == 200 and "ben plays bass" in listing.text
    first, second = await rows(db)
    accepted = await answer(browser, token, first.id, listing.text, "accept")
    assert accepted.status_code == 303 and accepted.headers["location"].endswith("?done=accept")
    refused = await answer(browser, token, second.id, listing.text, "reject")
    assert refused.status_code == 303
    assert [r.state for r in await rows(db)] == ["accepted", "rejected"]
    async with db.session() as s:
        told = await s.scalars(select(Notification).where(Notification.actor_id == ben.id))
        assert [n.kind for n in told.all()] == ["event_participation"]
    again = await answer(browser, token, first.id, listing.text, "reject")
    assert again.headers["location"].endswith("?done=late")


async def test_a_full_event_and_an_invitation_take_nobody_more(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "ben")
    await member_with_password(db, settings, "cleo")
    path, token = await an_event(db, settings, capacity=1)
    closed_path, closed = await an_event(db, settings, join_mode="invite")
    await sign_in(browser, "ben")
    await press(browser, path, f"/events/{token}/join")
    async with node_client(settings, Fediverse()) as cleo:
        await sign_in(cleo, "cleo")
        page = await cleo.get(path, headers=HTML)
        assert "The event is full" in page.text and f"/events/{token}/join" not in page.text
        csrf = hidden_fields((await cleo.get("/new/post")).text)["csrf"]
        full = await cleo.post(f"/events/{token}/join", data={"csrf": csrf})
        assert full.headers["location"].endswith("?done=full#take-part")
        invite = await cleo.get(closed_path, headers=HTML)
        assert "Only people the organisers invite" in invite.text
        refused = await cleo.post(f"/events/{closed}/join", data={"csrf": csrf})
        assert refused.headers["location"].endswith("?done=closed#take-part")
        shown = await cleo.get(f"{closed_path}?done=closed", headers=HTML)
        assert "takes no more participants" in shown.text
    assert len(await rows(db)) == 1


async def test_visitors_strangers_and_forged_forms_change_nothing(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "ben")
    path, token = await an_event(db, settings, join_mode="restricted")
    page = await browser.get(path, headers=HTML)
    assert "Sign in to take part" in page.text and "/join" not in page.text
    assert (await browser.get(f"/events/{token}/participants")).status_code == 303
    await sign_in(browser, "ben")
    forged = await browser.post(f"/events/{token}/join", data={"message": "hi"})
    assert forged.status_code == 403 and await rows(db) == []
    await press(browser, path, f"/events/{token}/join")
    [row] = await rows(db)
    assert (await browser.get(f"/events/{token}/participants")).status_code == 403
    page = await browser.get(path, headers=HTML)
    refused = await answer(browser, token, row.id, page.text, "accept")
    assert refused.status_code == 403
    assert [r.state for r in await rows(db)] == ["pending"]
    assert (await browser.get("/events/ffff/participants")).status_code == 404


#: The event's facts line with 0, 1 and 2 people taking part (capacity 3), by the plural rules
#: of each language (French: 0 and 1 are singular; German: only 1).
COUNTS = {
    "fr": ["0 participe · 3 places restantes", "1 participe · 2 places restantes",
           "2 participent · 1 place restante"],
    "de": ["0 nehmen teil · noch 3 Plätze frei", "1 nimmt teil · noch 2 Plätze frei",
           "2 nehmen teil · noch 1 Platz frei"],
    "en": ["0 taking part · 3 places left", "1 taking part · 2 places left",
           "2 taking part · 1 place left"],
}  # fmt: skip


async def test_counts_on_the_event_page_follow_each_languages_plural_rules(db, settings) -> None:
    await member_with_password(db, settings, "anna")
    path, _token = await an_event(db, settings, capacity=3)
    for number in range(3):
        if number:
            person = await member_with_password(db, settings, f"p{number}")
            async with db.session() as s, s.begin():
                await take_part(s, node_uris(settings), member_principal(person.id),
                                f"{settings.base_url}{path}", "", datetime.now(UTC))  # fmt: skip
        async with node_client(settings, Fediverse()) as visitor:  # a fresh page cache
            for language, lines in COUNTS.items():
                page = await visitor.get(path, headers={**HTML, "Accept-Language": language})
                facts = re.sub(r"<[^>]+>", "", page.text).replace("\u202f", " ")
                assert lines[number] in facts, (language, number)


async def test_after_joining_the_page_says_so_once(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "ben")
    path, token = await an_event(db, settings)
    await sign_in(browser, "ben")
    joined = await press(browser, path, f"/events/{token}/join")
    back = joined.headers["location"].split("#")[0]
    for language, words in (("fr", "Vous participez."), ("en", "You are taking part.")):
        headers = {**HTML, "Accept-Language": language}
        just = await browser.get(back, headers=headers)
        assert just.text.count(words) == 1, language  # in the notice, not again beneath it
        later = await browser.get(path, headers=headers)
        assert later.text.count(words) == 1 and 'role="status"' not in later.text
