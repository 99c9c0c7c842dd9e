"""Events on the wire and in calendars (pure): the AS2 Event we send, the summary in words in
the author's language, what we keep of hostile remote Events, and the iCalendar we serve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from pydantic import ValidationError

from smartnode.content.events import render
from smartnode.content.events_from_ap import event_terms
from smartnode.content.events_inputs import EventInput
from smartnode.content.events_to_ap import event_to_ap
from smartnode.content.events_wording import summary_text
from smartnode.content.ical import calendar
from smartnode.federation.jsonld import check_document, expand
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models import ContentObject

URIS = NodeUris("https://se.smart.test", "se.smart.test")
ANNA = "https://se.smart.test/members/anna"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
START = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)  # 19:00 in Stockholm
PLACE = {
    "name": "Malmö Opera", "street_address": "Östra Rönneholmsvägen 20", "postal_code": "211 47",
    "locality": "Malmö", "country": "SE", "latitude": 55.6, "longitude": 12.99,
}  # fmt: skip


def event_input(**fields: Any) -> EventInput:
    body = {
        "name": "Jazzkväll", "content": "Kom och lyssna!\n\nFri entré.",
        "starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=3)).isoformat(),
        "timezone": "Europe/Stockholm", "place": PLACE, **fields,
    }  # fmt: skip
    return EventInput.model_validate(body)


def event_row(data: EventInput, language: str = "sv", token: str = "abc1") -> ContentObject:
    uri = URIS.event(token)
    obj = ContentObject(
        uri=uri, local=True, actor_id=1, ap_type="Event", kind="event", url=uri,
        visibility="public", audience={"to": [PUBLIC], "cc": [f"{ANNA}/followers"]},
        sensitive=False, attachments=[], tags=[], extra={}, published_at=NOW, updated_at=NOW,
    )  # fmt: skip
    render(obj, URIS, data, language)
    return obj


def test_event_carries_times_zone_place_and_mobilizon_terms() -> None:
    data = event_input(online_url="https://meet.example/jazz", capacity=80, join_mode="restricted",
                       hashtags=["jazz"], content_map={"en": "Come and listen!"})  # fmt: skip
    doc = event_to_ap(event_row(data), ANNA)
    assert (doc["type"], doc["id"], doc["attributedTo"]) == ("Event", URIS.event("abc1"), ANNA)
    assert doc["name"] == "Jazzkväll" and doc["url"] == doc["id"]
    assert doc["startTime"] == "2026-12-05T19:00:00+01:00"
    assert doc["endTime"] == "2026-12-05T22:00:00+01:00"
    assert doc["timezone"] == "Europe/Stockholm"
    assert doc["location"] == {
        "type": "Place", "name": "Malmö Opera",
        "address": {"type": "PostalAddress", "streetAddress": "Östra Rönneholmsvägen 20",
                    "postalCode": "211 47", "addressLocality": "Malmö", "addressCountry": "SE"},
        "latitude": 55.6, "longitude": 12.99,
    }  # fmt: skip
    assert doc["attachment"] == [{"type": "Link", "name": "Website", "mediaType": "text/html",
                                  "href": "https://meet.example/jazz"}]  # fmt: skip
    assert doc["isOnline"] is False  # hybrid: a place and a link
    assert (doc["joinMode"], doc["maximumAttendeeCapacity"]) == ("restricted", 80)
    assert list(doc["contentMap"]) == ["sv", "en"] and doc["content"] == doc["contentMap"]["sv"]
    assert doc["content"].startswith("<p>Kom och lyssna!</p><p>Fri entré.</p>")
    assert {"type": "Hashtag", "href": URIS.tag("Jazz"), "name": "#Jazz"} in doc["tag"]
    assert (doc["to"], doc["cc"]) == ([PUBLIC], [f"{ANNA}/followers"])
    assert doc["published"] == "2026-11-27T10:00:00Z" and "updated" not in doc
    context = doc["@context"][1]
    assert context["timezone"]["@id"] == "mz:timezone"
    assert context["joinMode"]["@id"] == "mz:joinMode"


def test_event_expands_as_json_ld_with_mobilizon_and_schema_terms() -> None:
    doc = event_to_ap(event_row(event_input(online_url="https://meet.example/j", capacity=9)), ANNA)
    check_document(doc)
    [expanded] = expand(doc)
    assert expanded["https://joinmobilizon.org/ns#timezone"][0]["@value"] == "Europe/Stockholm"
    assert expanded["https://joinmobilizon.org/ns#joinMode"][0]["@value"] == "free"
    assert expanded["http://schema.org#maximumAttendeeCapacity"][0]["@value"] == 9
    [place] = expanded["https://www.w3.org/ns/activitystreams#location"]
    [address] = place["http://schema.org#address"]
    assert address["http://schema.org#addressLocality"][0]["@value"] == "Malmö"
    assert place["https://www.w3.org/ns/activitystreams#latitude"][0]["@value"] == 55.6


def test_summary_tells_mastodon_readers_when_and_where_in_the_authors_language() -> None:
    data = event_input(online_url="https://meet.example/jazz", content_map={"fr": "Venez !"})
    doc = event_to_ap(event_row(data), ANNA)
    assert doc["summary"] == (
        "<p>lördag 5 december 2026, 19:00–22:00 (Europe/Stockholm)<br>"
        "Malmö Opera, Östra Rönneholmsvägen 20, 211 47 Malmö, SE<br>"
        'Online: <a href="https://meet.example/jazz">https://meet.example/jazz</a></p>'
    )
    assert list(doc["summaryMap"]) == ["sv", "fr"]
    assert doc["summaryMap"]["fr"].startswith("<p>samedi 5 décembre 2026, 19:00–22:00")
    assert "En ligne: " in doc["summaryMap"]["fr"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Saturday 5 December 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("sv", "lördag 5 december 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("fr", "samedi 5 décembre 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("nl", "zaterdag 5 december 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("de", "Samstag, 5. Dezember 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("it", "sabato 5 dicembre 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("es", "sábado, 5 de diciembre de 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("fr-BE", "samedi 5 décembre 2026, 19:00–22:00 (Europe/Stockholm)"),
        ("fi", "Saturday 5 December 2026, 19:00–22:00 (Europe/Stockholm)"),
    ],
)
def test_summary_dates_in_each_language(language: str, expected: str) -> None:
    text = summary_text(language, START, START + timedelta(hours=3), "Europe/Stockholm", None, None)
    assert text == expected


def test_summary_of_a_multi_day_online_event_in_its_own_zone() -> None:
    end = START + timedelta(days=1, hours=2)
    text = summary_text("de", START, end, "America/New_York", None, "https://meet.example/x")
    assert text == (
        "Samstag, 5. Dezember 2026, 13:00 – Sonntag, 6. Dezember 2026, 15:00 "
        "(America/New_York)\nOnline: https://meet.example/x"
    )


def test_online_only_event_is_marked_online_and_has_no_location() -> None:
    doc = event_to_ap(event_row(event_input(place=None, online_url="https://meet.example/x")), ANNA)
    assert doc["isOnline"] is True and "location" not in doc
    assert doc["attachment"][0]["href"] == "https://meet.example/x"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"timezone": "../../etc/passwd"}, "IANA"),
        ({"ends_at": START.isoformat()}, "after starts_at"),
        ({"starts_at": "2026-12-05T19:00:00"}, "timezone"),
        ({"place": None}, "place, an online_url"),
        ({"place": {**PLACE, "longitude": None}}, "latitude and longitude"),
        ({"place": {**PLACE, "latitude": 91}}, "less than or equal"),
        ({"capacity": 0}, "greater than or equal"),
        ({"join_mode": "everyone"}, "free"),
        ({"visibility": "direct"}, "public"),
        ({"online_url": "javascript:alert(1)"}, "URL"),
    ],
)
def test_incoherent_input_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        event_input(**fields)
    assert message in str(error.value)


MOBILIZON = {
    "id": "https://mobilizon.example/events/9b1c",
    "type": "Event",
    "attributedTo": "https://mobilizon.example/@lea",
    "name": "Repair café",
    "content": "<p>Bring <b>your</b> toaster<script>x()</script></p>",
    "startTime": "2026-12-12T14:00:00+01:00",
    "endTime": "2026-12-12T17:00:00+01:00",
    "timezone": "Europe/Paris",
    "joinMode": "restricted",
    "maximumAttendeeCapacity": 25,
    "participantCount": 7,
    "location": {
        "type": "Place", "id": "https://mobilizon.example/address/1", "name": "La Recyclerie",
        "address": {"type": "PostalAddress", "streetAddress": "83 bd Ornano",
                    "postalCode": "75018", "addressLocality": "Paris", "addressCountry": "France"},
        "latitude": 48.89, "longitude": 2.34,
    },
    "attachment": [{"type": "Link", "name": "Website", "mediaType": "text/html",
                    "href": "https://visio.example/room"}],
}  # fmt: skip


def test_mobilizon_event_terms_are_read() -> None:
    terms = event_terms(MOBILIZON)
    assert terms.kind == "event"
    assert terms.starts_at == datetime(2026, 12, 12, 13, 0, tzinfo=UTC)
    assert terms.ends_at == datetime(2026, 12, 12, 16, 0, tzinfo=UTC)
    assert terms.extra["event"] == {
        "timezone": "Europe/Paris",
        "place": {"name": "La Recyclerie", "street_address": "83 bd Ornano",
                  "postal_code": "75018", "locality": "Paris", "country": "France",
                  "latitude": 48.89, "longitude": 2.34},
        "online_url": "https://visio.example/room", "join_mode": "restricted", "capacity": 25,
        "participants": 7,
    }  # fmt: skip


@pytest.mark.parametrize(
    "garbage",
    [
        {"startTime": "yesterday", "endTime": 5, "timezone": "../../etc/passwd"},
        {"startTime": "2026-12-12T14:00:00Z", "endTime": "2026-12-12T13:00:00Z"},
        {"timezone": ["Europe/Paris"], "joinMode": {"x": 1}, "maximumAttendeeCapacity": True},
        {"maximumAttendeeCapacity": -5, "location": "somewhere", "participantCount": -1},
        {"participantCount": True},
        {"participantCount": "12"},
        {"maximumAttendeeCapacity": 10**30, "location": [None, 3, {"type": "Person"}]},
        {"location": {"name": "<b>x</b>" * 10_000, "latitude": float("nan"), "longitude": 1e9}},
        {"location": {"address": {"streetAddress": ["a"], "addressLocality": {"@value": "x"}}}},
        {"attachment": [{"type": "Link", "name": "Website", "href": "javascript:alert(1)"}]},
        {"attachment": "https://x.example", "joinMode": "free" * 100},
    ],
)
def test_hostile_event_terms_never_raise_and_keep_only_what_is_valid(
    garbage: dict[str, Any],
) -> None:
    terms = event_terms({**MOBILIZON, "location": None, "attachment": [], **garbage})
    facts = terms.extra["event"]
    assert terms.kind == "event"
    assert terms.ends_at is None or (terms.starts_at and terms.ends_at > terms.starts_at)
    assert facts["timezone"] in (None, "Europe/Paris")
    assert facts["join_mode"] in (None, "free", "restricted", "invite", "external")
    assert facts["capacity"] is None or 0 < facts["capacity"] <= 10_000_000
    assert facts["online_url"] is None
    assert facts.get("participants") in (None, 7)
    place = facts["place"]
    if place is not None:
        assert len(place["name"]) <= 200 and "<" not in place["name"]
        assert "latitude" not in place


def test_an_event_end_before_its_start_is_dropped() -> None:
    terms = event_terms({**MOBILIZON, "endTime": "2026-12-12T10:00:00+01:00"})
    assert terms.starts_at is not None and terms.ends_at is None


def parse_ics(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def test_ics_has_zone_uid_url_location_geo_and_stamps() -> None:
    obj = event_row(event_input(online_url="https://meet.example/jazz", hashtags=["jazz"]))
    cal = parse_ics(calendar([obj], name="Anna"))
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == obj.uri and str(event["URL"]) == obj.uri
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == START and end == START + timedelta(hours=3)
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert start.utcoffset() == timedelta(hours=1)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["SUMMARY"]) == "Jazzkväll"
    assert str(event["LOCATION"]) == (
        "Malmö Opera, Östra Rönneholmsvägen 20, 211 47 Malmö, SE · https://meet.example/jazz"
    )
    assert (event["GEO"].latitude, event["GEO"].longitude) == (55.6, 12.99)
    assert str(event["DESCRIPTION"]).startswith("Kom och lyssna!\n\nFri entré.")
    assert str(cal["X-WR-CALNAME"]) == "Anna" and str(cal["VERSION"]) == "2.0"


def test_ics_in_utc_uses_z_times() -> None:
    obj = event_row(event_input(timezone="UTC"))
    raw = calendar([obj]).decode()
    assert "DTSTART:20261205T180000Z" in raw and "VTIMEZONE" not in raw


def test_ics_escapes_text_so_nothing_can_inject_properties() -> None:
    hostile = "Jazz\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil; x, y \\"
    obj = event_row(event_input(name=hostile[:200], content=hostile, format="text",
                                place={**PLACE, "name": "A;B,C\nD"}))  # fmt: skip
    raw = calendar([obj]).decode()
    lines = raw.split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1 and not any(x.startswith("UID:evil") for x in lines)
    [event] = parse_ics(raw.encode()).walk("VEVENT")
    assert str(event["UID"]) == obj.uri
    assert str(event["SUMMARY"]) == "Jazz END:VEVENT BEGIN:VEVENT UID:evil; x, y \\"
    assert "END:VEVENT\nBEGIN:VEVENT\nUID:evil; x, y \\" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]).startswith("A;B,C D, Östra")
