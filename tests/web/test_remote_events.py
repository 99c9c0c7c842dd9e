"""Events of other servers in the browser: listed with the server they come from (in the
viewer's language), a page of their own here, and Join / Leave for a member. On the wire: the
organiser, a real loopback inbox, receives our member's signed Join; their Accept posted to our
inbox (signed) shows on the page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from sqlalchemy import select

from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.federation.vocab import PUBLIC
from smartnode.outbox.deliver import Deliverer, DeliveryOptions
from smartnode.storage.models import Activity, Follow
from smartnode.storage.models_work import EventParticipant
from smartnode.worker import Worker
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.content import activities, activity, fan_out, node_client
from tests.inbox import Fediverse, inbox_context, receive
from tests.inbox.test_receive import signed
from tests.outbox.receivers import Receiver, loopback

HTML = {"Accept": "text/html"}
LEA = "https://mobilizon.example/@lea"
EVENT = "https://mobilizon.example/events/5e1d9c2a"
LEA_PRIVATE, LEA_PUBLIC = generate_rsa_keypair()
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=12)
PAGE = "/remote-events?" + urlencode({"uri": EVENT})


def mobilizon_event(**fields: Any) -> dict[str, Any]:
    """An Event as Mobilizon writes it, by Léa, public."""
    return {
        "id": EVENT, "url": EVENT, "type": "Event", "attributedTo": LEA, "actor": LEA,
        "name": "Repair café", "content": "<p>Bring your toaster</p>", "mediaType": "text/html",
        "published": datetime.now(UTC).isoformat(), "startTime": SOON.isoformat(),
        "endTime": (SOON + timedelta(hours=3)).isoformat(), "timezone": "Europe/Paris",
        "joinMode": "free", "inLanguage": "fr",
        "location": {"type": "Place", "name": "La Recyclerie",
                     "address": {"type": "PostalAddress", "addressLocality": "Paris",
                                 "addressCountry": "FR"}},
        "to": [PUBLIC], "cc": [f"{LEA}/followers"], **fields,
    }  # fmt: skip


@pytest.fixture
async def ben(db, settings):
    return await member_with_password(db, settings, "ben")


@pytest.fixture
async def organiser(ben) -> AsyncIterator[Receiver]:
    """Léa's server: a real inbox on loopback that checks each signature with ben's key."""
    server = Receiver(ben.public_key_pem, verify_at=datetime.now(UTC))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def world(organiser: Receiver) -> Fediverse:
    fediverse = Fediverse()
    inbox = organiser.url("mobilizon.example")
    fediverse.actor(LEA, pem=LEA_PUBLIC, preferredUsername="lea", name="Léa", inbox=inbox,
                    endpoints={"sharedInbox": inbox})  # fmt: skip
    return fediverse


@pytest.fixture
async def browser(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


async def stored_event(db, settings, world, ben, **fields: Any) -> None:
    """Arrange: ben follows Léa, and her Event reaches our inbox and is stored."""
    async with inbox_context(db, settings, world) as ctx:
        lea = await ctx.resolver.actor(LEA)
        assert lea is not None
        ctx.session.add(Follow(follower_id=ben.id, followed_id=lea.id, state="accepted",
                               created_at=ctx.now))  # fmt: skip
    doc = mobilizon_event(**fields)
    outcome = await receive(db, settings, world, activity("Create", LEA, doc, f"{EVENT}/create"),
                            now=datetime.now(UTC))  # fmt: skip
    assert outcome.status == "processed", outcome.reason


async def press(client: httpx.AsyncClient, action: str, **fields: str) -> httpx.Response:
    page = await client.get(PAGE, headers=HTML)
    assert page.status_code == 200, page.text
    return await client.post(action, data={**hidden_fields(page.text), **fields})


async def rows(db) -> list[EventParticipant]:
    async with db.session() as s:
        return list((await s.scalars(select(EventParticipant).order_by("id"))).all())


async def deliver(db, settings: Settings, sent: Activity) -> None:
    """The worker's fan-out and delivery of `sent`, to loopback inboxes."""
    await fan_out(db, settings, sent)
    may_post = settings.model_copy(update={"allow_private_addresses": True})
    deliverer = Deliverer(db, may_post, options=DeliveryOptions(straggler_wait=None, timeout=5.0),
                          resolver=loopback)  # fmt: skip
    try:
        assert await deliverer.run_once(datetime.now(UTC) + timedelta(seconds=1)) == 1
    finally:
        await deliverer.aclose()


async def test_other_servers_events_are_listed_with_their_origin(
    browser, db, settings, world, ben
) -> None:
    await stored_event(db, settings, world, ben)
    listing = await browser.get("/events", headers={**HTML, "Accept-Language": "sv"})
    assert listing.status_code == 200
    assert "Repair café" in listing.text and "Publicerat på mobilizon.example" in listing.text
    assert f'href="{PAGE.replace("&", "&amp;")}"' in listing.text
    home = await browser.get("/", headers={**HTML, "Accept-Language": "fr"})
    assert "Repair café" in home.text and "Publié sur mobilizon.example" in home.text
    page = await browser.get(PAGE, headers=HTML)
    assert page.status_code == 200 and "Repair café" in page.text
    assert "La Recyclerie" in page.text and f'href="{EVENT}"' in page.text
    assert "Sign in to take part" in page.text and 'name="robots"' in page.text
    missing = await browser.get("/remote-events?uri=https://mobilizon.example/events/0")
    assert missing.status_code == 404


async def test_a_member_joins_on_the_wire_and_the_accept_shows(
    browser, db, settings, world, ben, organiser
) -> None:
    await stored_event(db, settings, world, ben)
    await sign_in(browser, "ben")
    page = await browser.get(PAGE, headers=HTML)
    action = "/remote-events/join?" + urlencode({"uri": EVENT})
    assert f'action="{action.replace("&", "&amp;")}"' in page.text
    assert page.headers["cache-control"].startswith("private")
    asked = await press(browser, action)
    assert asked.status_code == 303
    assert asked.headers["location"] == f"{PAGE}&done=asked#take-part"
    [join] = await activities(db, "Join")
    [row] = await rows(db)
    assert (row.state, row.uri, row.local) == ("pending", join.uri, False)
    await deliver(db, settings, join)
    [seen] = organiser.on("mobilizon.example")
    assert seen.scheme == "cavage" and seen.key_id == f"{ben.uri}#main-key"
    body = orjson.loads(seen.body)
    assert (body["type"], body["actor"], body["object"]) == ("Join", ben.uri, EVENT)
    waiting = await browser.get(PAGE, headers=HTML)
    assert "the organisers have not answered yet" in waiting.text
    assert "Withdraw my request" in waiting.text
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVENT}/accept/1",
        "type": "Accept",
        "actor": LEA,
        "object": {"id": join.uri, "type": "Join", "actor": ben.uri, "object": EVENT},
    }
    raw = json.dumps(accept).encode()
    posted = await browser.post(f"{ben.uri}/inbox", content=raw,
                                headers=signed(f"{ben.uri}/inbox", raw, private_pem=LEA_PRIVATE,
                                               key_id=f"{LEA}#main-key"))  # fmt: skip
    assert posted.status_code == 202, posted.text
    state = browser.app.state  # type: ignore[attr-defined]
    worker = Worker(settings, db, state.fetcher, signer=state.node_signer, deliverer=None)
    await worker.run_once(datetime.now(UTC))
    [row] = await rows(db)
    assert row.state == "accepted"
    taking_part = await browser.get(PAGE, headers=HTML)
    assert "You are taking part." in taking_part.text and "Leave the event" in taking_part.text
    mine = await browser.get("/account/events")
    assert "Repair café" in mine.text and "You take part" in mine.text
    assert f'href="{PAGE.replace("&", "&amp;")}"' in mine.text


async def test_leaving_sends_leave_and_nothing_stays(browser, db, settings, world, ben) -> None:
    await stored_event(db, settings, world, ben, joinMode="restricted")
    await sign_in(browser, "ben")
    page = await browser.get(PAGE, headers=HTML)
    assert "Ask to take part" in page.text and 'name="message"' in page.text
    await press(browser, "/remote-events/join?" + urlencode({"uri": EVENT}), message="I fix lamps")
    [join] = await activities(db, "Join")
    assert join.document["participationMessage"] == "I fix lamps"
    left = await press(browser, "/remote-events/leave?" + urlencode({"uri": EVENT}))
    assert left.headers["location"] == f"{PAGE}&done=left#take-part"
    [leave] = await activities(db, "Leave")
    assert (leave.document["object"], leave.document["to"]) == (EVENT, [LEA])
    assert await rows(db) == []


async def test_an_event_that_takes_no_requests_sends_no_join(
    browser, db, settings, world, ben
) -> None:
    await stored_event(db, settings, world, ben, joinMode="invite")
    await sign_in(browser, "ben")
    page = await browser.get(PAGE, headers=HTML)
    assert "Only people the organisers invite" in page.text and ">Join</button>" not in page.text
    form = hidden_fields((await browser.get("/new/post")).text)  # no form on the page: a token
    refused = await browser.post("/remote-events/join?" + urlencode({"uri": EVENT}),
                                 data={"csrf": form["csrf"]})  # fmt: skip
    assert refused.headers["location"] == f"{PAGE}&done=closed#take-part"
    assert await activities(db, "Join") == [] and await rows(db) == []


async def test_a_forged_join_and_a_visitor_change_nothing(
    browser, db, settings, world, ben
) -> None:
    await stored_event(db, settings, world, ben)
    action = "/remote-events/join?" + urlencode({"uri": EVENT})
    visitor = await press(browser, action)  # a visitor's page carries no form, so no token
    assert visitor.status_code == 403
    await sign_in(browser, "ben")
    forged = await browser.post(action, data={"csrf": "forged"})
    assert forged.status_code in (400, 403)
    assert await activities(db, "Join") == [] and await rows(db) == []
