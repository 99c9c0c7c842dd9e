"""Events and call deadlines → iCalendar (RFC 5545) with the `icalendar` library (pure: rows
in, bytes out).

Every text property is plain text (HTML stripped, control characters dropped) and escaped by the
library (commas, semicolons, backslashes, newlines), so no stored text can start a property or
a component. Times carry the event's TZID (with its VTIMEZONE) or are UTC (`Z`) for UTC events;
a deadline is a moment in UTC; DTSTAMP is UTC. UID is the event's ActivityPub id (a deadline's:
the call's id with `#deadline`), so every calendar sees one entry however it got it.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import nh3
from icalendar import Calendar
from icalendar import Event as VEvent
from icalendar.prop import vDuration

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
    lines = (" ".join(line.split()) for line in _CONTROL.sub("", html.unescape(text)).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:MAX_DESCRIPTION]


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _line(value: Any, limit: int = 500) -> str:
    return " ".join(_CONTROL.sub("", str(value or "")).split())[:limit]


@dataclass(frozen=True, slots=True)
class Deadline:
    """A call's deadline as a calendar entry (plain text; escaped when written)."""

    call_uri: str
    title: str
    url: str
    closes_at: datetime
    description: str
    author: str
    categories: tuple[str, ...]
    published: datetime
    updated: datetime


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


def deadline_vevent(deadline: Deadline) -> VEvent:
    """A call's deadline as a VEVENT at that moment (UTC), free time, linking the call's page."""
    closes = deadline.closes_at.astimezone(UTC)
    item = VEvent()
    item.add("uid", f"{deadline.call_uri}#deadline")
    item.add("dtstamp", deadline.updated.astimezone(UTC))
    item.add("created", deadline.published.astimezone(UTC))
    item.add("last-modified", deadline.updated.astimezone(UTC))
    item.add("summary", _line(f"Deadline: {_line(deadline.title, 400)}", 500))
    item.add("dtstart", closes)
    item.add("transp", "TRANSPARENT")
    when = closes.strftime("%Y-%m-%d %H:%M UTC")
    text = description_text(deadline.description)
    about = f"Open call by {_line(deadline.author, 200)}. Apply by {when}: {deadline.url}"
    item.add("description", f"{about}\n\n{text}".strip()[:MAX_DESCRIPTION])
    item.add("url", deadline.url)
    categories = [_line(c, 100) for c in deadline.categories if _line(c, 100)]
    if categories:
        item.add("categories", categories)
    item.add("class", "PUBLIC")
    item.add("status", "CONFIRMED")
    return item


def calendar(
    events: Iterable[ContentObject],
    name: str = "",
    *,
    deadlines: Iterable[Deadline] = (),
    refresh: timedelta | None = None,
) -> bytes:
    """A VCALENDAR of live events and call deadlines, with the VTIMEZONEs the events use;
    `refresh` tells subscribers how often to fetch it again (RFC 7986 REFRESH-INTERVAL)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", _line(name, 200))
    if refresh is not None:
        cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(refresh))
    for obj in events:
        cal.add_component(vevent(obj))
    for deadline in deadlines:
        cal.add_component(deadline_vevent(deadline))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
