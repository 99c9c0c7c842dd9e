"""The HTML page at an event's id: date, time and place in words, the description, the links,
schema.org Event JSON-LD escaped for <script>, and the 410 page after delete."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from smartnode.actors.records import find_local_actor
from smartnode.content.events import create_event, delete_event
from smartnode.content.events_inputs import EventInput
from smartnode.storage.models import ContentObject
from tests.conftest import make_member, make_project, now

HTML = {"Accept": "text/html"}
#: A fixed future date keeps the words checkable.
START = datetime(2030, 12, 7, 18, 0, tzinfo=UTC)  # 19:00 in Stockholm, a Saturday
PLACE = {"name": "Malmö Opera", "street_address": "Östra Rönneholmsvägen 20",
         "postal_code": "211 47", "locality": "Malmö", "country": "SE",
         "latitude": 55.6, "longitude": 12.99}  # fmt: skip
_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def event_input(**fields: Any) -> EventInput:
    return EventInput.model_validate(
        {
            "name": "Jazzkväll",
            "content": "Kom och lyssna! <b>gratis</b> #jazz",
            "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=3)).isoformat(),
            "timezone": "Europe/Stockholm",
            "place": PLACE,
            "capacity": 80,
            "join_mode": "restricted",
            **fields,
        }
    )


async def publish(db, settings, app, username: str, **fields: Any) -> ContentObject:
    async with db.session() as s, s.begin():
        author = await find_local_actor(s, username)
        assert author is not None
        return await create_event(
            s, app.state.uris, author=author, data=event_input(**fields), now=now()
        )


def json_ld(text: str) -> dict[str, Any]:
    [raw] = _LD.findall(text)
    return json.loads(raw)


async def test_page_shows_date_place_join_mode_and_links(client, db, settings, app) -> None:
    await make_member(db, settings, "anna", name="Anna Lind", language="sv")
    event = await publish(db, settings, app, "anna", online_url="https://meet.example/jazz")
    response = await client.get(event.uri, headers=HTML)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    text = response.text
    assert "Saturday, 7 December 2030, 19:00–22:00 (Central European Standard Time)" in text
    assert 'datetime="2030-12-07T19:00:00+01:00"' in text
    assert "Malmö Opera" in text and "Östra Rönneholmsvägen 20, 211 47 Malmö, <span" in text
    assert '<span class="p-country-name">Sweden</span>' in text  # named, never "SE"
    assert 'href="https://meet.example/jazz"' in text
    assert "Join on approval" in text and "up to 80 people" in text
    assert "Kom och lyssna! <b>gratis</b>" not in text  # text input: the tag was escaped
    assert "&lt;b&gt;gratis&lt;/b&gt;" in text
    assert f'href="{settings.base_url}/tags/jazz"' in text
    assert f'href="{settings.base_url}/members/anna"' in text and "Anna Lind" in text
    token = event.uri.rsplit("/", 1)[1]
    ics = f"{settings.base_url}/api/smart/v1/events/{token}.ics"
    assert f'href="{ics}"' in text
    assert f'href="{settings.base_url}/members/anna/events.ics"' in text
    calendar = await client.get(ics.removeprefix(settings.base_url))
    assert calendar.status_code == 200 and "BEGIN:VEVENT" in calendar.text


async def test_json_ld_is_a_schema_org_event(client, db, settings, app) -> None:
    await make_member(db, settings, "anna", language="sv")
    await make_project(db, settings, "Malmö Opera 2031", "anna", slug="malmo-opera")
    event = await publish(db, settings, app, "malmo-opera", online_url="https://meet.example/j")
    response = await client.get(event.uri, headers=HTML)
    doc = json_ld(response.text)
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "Event"
    assert doc["name"] == "Jazzkväll" and doc["url"] == event.uri
    assert doc["startDate"] == "2030-12-07T19:00:00+01:00"
    assert doc["endDate"] == "2030-12-07T22:00:00+01:00"
    assert doc["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    place, online = doc["location"]
    assert place["@type"] == "Place" and place["name"] == "Malmö Opera"
    assert place["address"] == {
        "@type": "PostalAddress", "streetAddress": "Östra Rönneholmsvägen 20",
        "postalCode": "211 47", "addressLocality": "Malmö", "addressCountry": "SE",
    }  # fmt: skip
    assert online == {"@type": "VirtualLocation", "url": "https://meet.example/j"}
    assert doc["organizer"] == {
        "@type": "Organization", "name": "Malmö Opera 2031",
        "url": f"{settings.base_url}/projects/malmo-opera",
    }  # fmt: skip
    assert (doc["maximumAttendeeCapacity"], doc["remainingAttendeeCapacity"]) == (80, 80)
    assert "0 taking part" in response.text and "80 places left" in response.text


async def test_online_only_event_has_a_virtual_location(client, db, settings, app) -> None:
    await make_member(db, settings, "anna", language="en")
    event = await publish(db, settings, app, "anna", place=None, online_url="https://m.example/")
    response = await client.get(event.uri, headers=HTML)
    doc = json_ld(response.text)
    assert doc["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert doc["location"] == {"@type": "VirtualLocation", "url": "https://m.example/"}
    assert doc["organizer"]["@type"] == "Person"
    when = "Saturday, 7 December 2030, 19:00–22:00 (Central European Standard Time)"
    assert when in response.text


async def test_script_in_title_stays_text_and_json_ld_is_escaped(client, db, settings, app) -> None:
    await make_member(db, settings, "anna", language="sv")
    title = "</script><script>alert(1)</script> & <!-- x"
    event = await publish(db, settings, app, "anna", name=title)
    text = (await client.get(event.uri, headers=HTML)).text
    assert "<script>alert(1)" not in text and "<!-- x" not in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!-- x" in text
    [raw] = _LD.findall(text)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert "\\u003c/script\\u003e" in raw
    assert json.loads(raw)["name"] == title


async def test_private_event_page_has_no_json_ld_nor_calendar(client, db, settings, app) -> None:
    await make_member(db, settings, "anna", language="sv")
    event = await publish(db, settings, app, "anna", visibility="unlisted")
    text = (await client.get(event.uri, headers=HTML)).text
    assert "application/ld+json" not in text and 'name="robots"' in text
    assert "/api/smart/v1/events/" in text and "/members/anna/events.ics" not in text


async def test_deleted_event_answers_the_410_page(client, db, settings, app) -> None:
    await make_member(db, settings, "anna", language="sv")
    event = await publish(db, settings, app, "anna")
    async with db.session() as s, s.begin():
        row = await s.scalar(select(ContentObject).where(ContentObject.uri == event.uri))
        assert row is not None
        await delete_event(s, app.state.uris, row, now())
    response = await client.get(event.uri, headers=HTML)
    assert response.status_code == 410 and "Gone" in response.text
    assert "Jazzkväll" not in response.text
    async with db.session() as s:
        row = await s.scalar(select(ContentObject).where(ContentObject.uri == event.uri))
        assert row is not None and row.deleted_at is not None
