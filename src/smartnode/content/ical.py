"""Events → iCalendar (RFC 5545) with the `icalendar` library (pure: rows in, bytes out).

Every text property is plain text (HTML stripped) and escaped by the library (commas,
semicolons, backslashes, newlines), so no stored text can start a property or a component.
Times carry the event's TZID (with its VTIMEZONE) or are UTC (`Z`) for UTC events; DTSTAMP is
UTC. UID is the event's ActivityPub id, so every calendar sees one event however it got it.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import nh3
from icalendar import Calendar
from icalendar import Event as VEvent

from smartnode.content.events_wording import place_line
from smartnode.storage.models import ContentObject

PRODID = "-//smart.coop//smartnode//EN"
MAX_DESCRIPTION = 10_000
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"})


def _zoned(moment: datetime, timezone: str | None) -> datetime:
    if not timezone or timezone in _UTC_NAMES:
        return moment.astimezone(UTC)
    return moment.astimezone(ZoneInfo(timezone))


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK = re.compile(r"</(?:p|li|blockquote|pre)>", re.IGNORECASE)


def description_text(body: str) -> str:
    """The plain text of sanitised HTML, its paragraphs and line breaks kept."""
    text = _BLOCK.sub("\n\n", _BREAK.sub("\n", body.replace("\x00", "")))
    with contextlib.suppress(Exception):  # nh3 refuses some input: the text stays as it is
        text = nh3.clean(text, tags=set())
    lines = (" ".join(line.split()) for line in html.unescape(text).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:MAX_DESCRIPTION]


def _line(value: Any, limit: int = 500) -> str:
    return " ".join(str(value or "").split())[:limit]


def location_text(facts: Mapping[str, Any]) -> str:
    """The LOCATION: the place in words, and the online URL."""
    parts = [place_line(facts.get("place"))]
    if facts.get("online_url"):
        parts.append(str(facts["online_url"]))
    return _line(" · ".join(p for p in parts if p), 1000)


def vevent(obj: ContentObject) -> VEvent:
    """One live event as a VEVENT."""
    facts: Mapping[str, Any] = obj.extra.get("event") or {}
    timezone = facts.get("timezone")
    item = VEvent()
    item.add("uid", obj.uri)
    item.add("dtstamp", obj.updated_at.astimezone(UTC))
    item.add("created", obj.published_at.astimezone(UTC))
    item.add("last-modified", obj.updated_at.astimezone(UTC))
    item.add("summary", _line(obj.name, 500))
    if obj.starts_at is not None:
        item.add("dtstart", _zoned(obj.starts_at, timezone))
    if obj.ends_at is not None:
        item.add("dtend", _zoned(obj.ends_at, timezone))
    description = description_text(obj.content)
    if description:
        item.add("description", description)
    where = location_text(facts)
    if where:
        item.add("location", where)
    place = facts.get("place") or {}
    if place.get("latitude") is not None and place.get("longitude") is not None:
        item.add("geo", (float(place["latitude"]), float(place["longitude"])))
    item.add("url", obj.url or obj.uri)
    hashtags = [t["name"].lstrip("#") for t in obj.tags if t.get("type") == "Hashtag"]
    if hashtags:
        item.add("categories", hashtags)
    item.add("class", "PUBLIC" if obj.visibility == "public" else "PRIVATE")
    item.add("status", "CONFIRMED")
    return item


def calendar(events: Iterable[ContentObject], name: str = "") -> bytes:
    """A VCALENDAR of live events, with the VTIMEZONEs they use."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", _line(name, 200))
    for obj in events:
        cal.add_component(vevent(obj))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
