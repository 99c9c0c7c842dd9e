"""A topic feed's calendar at /feeds/{slug}.ics, parsed back with the icalendar package: one
VEVENT per deadline of a call the feed carries (ours and a peer's; closed, filled and
deadline-less calls left out), the public upcoming events its filter matches, hostile text kept
as text, linked from the feed's page and its RSS/Atom."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from icalendar import Calendar

from smartnode.actors.records import find_local_actor
from smartnode.content.events import create_event
from smartnode.content.events_inputs import EventInput
from smartnode.matching.feed_calendar import event_facts
from smartnode.storage.models import Actor, ContentObject
from tests.conftest import make_member, make_project
from tests.matching.feeds_arrange import call, feed, remote_actor

BASE = "https://se.smart.test"
ATOM = "{http://www.w3.org/2005/Atom}"
PEER = "https://be.smart.example/projects/ghent-band"
HOSTILE = "Mixer;, <b>now</b>\r\nBEGIN:VEVENT\r\nSUMMARY:owned\\"
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)


async def _opera(db, settings) -> Actor:
    await make_member(db, settings, "anna")
    return await make_project(db, settings, "Malmö Opera", "anna", sectors=["theatre"])


async def _event(db, app, username: str, name: str, content: str, starts: datetime) -> Any:
    data = EventInput.model_validate({
        "name": name, "content": content, "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(), "timezone": "Europe/Stockholm",
        "place": {"name": "Malmö Opera", "locality": "Malmö", "country": "SE"},
    })  # fmt: skip
    async with db.session() as s, s.begin():
        author = await find_local_actor(s, username)
        assert author is not None
        return await create_event(
            s, app.state.uris, author=author, data=data, now=datetime.now(UTC)
        )


async def _peer_event(db, peer: Actor, name: str, hashtag: str, starts: datetime) -> ContentObject:
    uri = f"https://be.smart.example/events/{secrets.token_hex(6)}"
    obj = ContentObject(
        uri=uri, local=False, actor_id=peer.id, ap_type="Event", kind="event", name=name,
        content=f"<p>{name}</p>", url=uri, visibility="public", audience={},
        tags=[{"type": "Hashtag", "href": f"https://be.smart.example/tags/{hashtag}",
               "name": f"#{hashtag}"}],
        extra={"event": {"place": {"name": "Vooruit", "locality": "Gent", "country": "BE"},
                         "timezone": "Europe/Brussels"}},
        starts_at=starts, ends_at=starts + timedelta(hours=3),
        published_at=datetime.now(UTC), updated_at=datetime.now(UTC), language="nl",
    )  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(obj)
    return obj


def _vevents(body: bytes) -> dict[str, Any]:
    parsed = Calendar.from_ical(body)
    assert parsed["VERSION"] == "2.0" and parsed.get("PRODID")
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


@pytest.fixture
async def arranged(db, settings, app) -> dict[str, Any]:
    """A music feed; our calls and a peer's (some it carries, some not); events likewise."""
    opera = await _opera(db, settings)
    await feed(db, settings, "calls-music", sector="music")
    peer = await remote_actor(db, PEER, f"{PEER}/inbox", kind="Group")
    now = datetime.now(UTC)
    found = {
        "hostile": await call(db, opera, title=HOSTILE, hashtags=("Music",), closes_at=SOON),
        "peer": await call(db, peer, title="Drummer in Ghent", local=False,
                           hashtags=("Music",), closes_at=SOON + timedelta(days=3)),
        "filled": await call(db, opera, title="Filled", state="filled", closes_at=SOON),
        "closed": await call(db, opera, title="Closed", state="closed", closes_at=SOON),
        "no deadline": await call(db, opera, title="Whenever", closes_at=None),
        "film": await call(db, opera, title="Film editor", hashtags=("Film",), closes_at=SOON),
        "concert": await _event(db, app, "malmo-opera", "Concert", "Arias #music",
                                now + timedelta(days=10)),
        "film night": await _event(db, app, "malmo-opera", "Film night", "Films #film",
                                   now + timedelta(days=11)),
        "over": await _event(db, app, "malmo-opera", "Over", "Done #music",
                             now - timedelta(days=2)),
        "peer event": await _peer_event(db, peer, "Gent Jazz", "Music", now + timedelta(days=4)),
    }  # fmt: skip
    return found


async def test_the_calendar_holds_deadlines_and_events_the_feed_carries(client, arranged) -> None:
    response = await client.get("/feeds/calls-music.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    events = _vevents(response.content)
    hostile, peer = arranged["hostile"], arranged["peer"]
    assert set(events) == {
        f"{hostile.uri}#deadline", f"{peer.uri}#deadline",
        arranged["concert"].uri, arranged["peer event"].uri,
    }  # fmt: skip
    deadline = events[f"{peer.uri}#deadline"]
    assert str(deadline["SUMMARY"]) == "Deadline: Drummer in Ghent"
    assert deadline.decoded("DTSTART") == SOON + timedelta(days=3)
    assert deadline.decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(deadline["URL"]) == peer.url and peer.url.startswith("https://be.smart.example/")
    assert "Apply by" in str(deadline["DESCRIPTION"]) and str(deadline["TRANSP"]) == "TRANSPARENT"
    concert = events[arranged["concert"].uri]
    assert str(concert["SUMMARY"]) == "Concert"
    assert str(events[arranged["peer event"].uri]["LOCATION"]).startswith("Vooruit")


async def test_hostile_text_stays_text_and_starts_no_component(client, arranged) -> None:
    body = (await client.get("/feeds/calls-music.ics")).content
    lines = body.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == 4
    assert not any(line.startswith(b"SUMMARY:owned") for line in lines)
    assert all(len(line) <= 75 for line in lines)  # folded as RFC 5545 says
    summary = str(_vevents(body)[f"{arranged['hostile'].uri}#deadline"]["SUMMARY"])
    assert summary == "Deadline: Mixer;, <b>now</b> BEGIN:VEVENT SUMMARY:owned\\"


async def test_uids_and_the_document_are_stable(client, arranged) -> None:
    first = await client.get("/feeds/calls-music.ics")
    second = await client.get("/feeds/calls-music.ics")
    assert first.content == second.content


async def test_a_feed_on_skills_carries_no_events(client, db, settings, arranged) -> None:
    await feed(
        db, settings, "calls-mixing", sector="music", skill="http://data.europa.eu/esco/skill/x"
    )
    assert _vevents((await client.get("/feeds/calls-mixing.ics")).content) == {}


async def test_a_country_filter_matches_the_events_place(client, db, settings, arranged) -> None:
    await feed(db, settings, "music-be", sector="music", country="BE")
    events = _vevents((await client.get("/feeds/music-be.ics")).content)
    assert arranged["peer event"].uri in events and arranged["concert"].uri not in events


async def test_unknown_and_badly_named_feeds_are_404(client) -> None:
    assert (await client.get("/feeds/nobody.ics")).status_code == 404
    response = await client.get("/feeds/NO%20SUCH.ics")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


async def test_the_page_and_the_rss_and_atom_link_the_calendar(client, arranged) -> None:
    ics = f"{BASE}/feeds/calls-music.ics"
    page = await client.get("/feeds/calls-music", headers={"Accept": "text/html"})
    assert f'href="{ics}" type="text/calendar"' in page.text
    rss = ET.fromstring((await client.get("/feeds/calls-music.rss")).content)
    links = rss.findall(f"channel/{ATOM}link")
    assert {"href": ics, "rel": "alternate", "type": "text/calendar"} in [ln.attrib for ln in links]
    atom = ET.fromstring((await client.get("/feeds/calls-music.atom")).content)
    links = [ln.attrib for ln in atom.findall(f"{ATOM}link")]
    assert {"href": ics, "rel": "alternate", "type": "text/calendar"} in links


async def test_a_slug_may_not_end_in_ics(client, db) -> None:
    from tests.api.test_v1_auth import admin_headers

    bad = await client.post(
        "/api/smart/v1/feeds",
        json={"slug": "calls.ics", "name": "x"},
        headers=await admin_headers(db),
    )
    assert bad.status_code == 422 and ".ics" in bad.json()["error"]


@pytest.mark.parametrize(
    ("event", "remote"),
    [
        ({"online_url": "https://meet.example/x"}, True),
        ({"online_url": "https://meet.example/x", "place": {"country": "SE"}}, False),
        ({"place": {"country": "se"}}, False),
    ],
)
def test_an_event_is_remote_when_it_is_online_only(event: dict[str, Any], remote: bool) -> None:
    obj = ContentObject(kind="event", extra={"event": event}, tags=[])
    facts = event_facts(obj, ["Music"])
    assert facts.remote is remote and facts.sectors == {"music"}
    assert facts.country == ("SE" if "place" in event else None)
