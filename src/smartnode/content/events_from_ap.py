"""Remote Event documents → KindTerms (pure, tolerant).

Everything here is hostile input: each fact is kept only when it is well-formed (times that
parse, a zone tzdata knows, coordinates in range, an http(s) URL, a known join mode, a sane
capacity); text is stripped of markup and capped; an end before the start is dropped. Garbage
never raises: the Event is kept with the facts that were valid.

Interop: Mobilizon's shapes (converter/event.ex, address.ex): `location` a Place whose
`address` is a PostalAddress, `timezone`, `joinMode`, `maximumAttendeeCapacity`, the online
address a Link attachment named "Website". Others send `address` as a plain string.
"""

from __future__ import annotations

import math
from typing import Any

from smartnode.content.compose import plain_text
from smartnode.content.events_inputs import timezones
from smartnode.content.events_to_ap import ONLINE_LINK_NAME
from smartnode.content.terms import EVENT, KindTerms, parse_time
from smartnode.federation.vocab import as_list, link_href, text_of

JOIN_MODES = frozenset({"free", "restricted", "invite", "external"})
MAX_CAPACITY = 10_000_000
_ADDRESS = (
    ("street_address", "streetAddress", 200),
    ("postal_code", "postalCode", 20),
    ("locality", "addressLocality", 100),
    ("region", "addressRegion", 100),
    ("country", "addressCountry", 100),
)


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return plain_text(text_of(value, limit * 4))[:limit]


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and -bound <= number <= bound else None


def _address(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        text = _text(value, 200)
        return {"street_address": text} if text else {}
    if not isinstance(value, dict):
        return {}
    found = {ours: _text(value.get(theirs), limit) for ours, theirs, limit in _ADDRESS}
    return {k: v for k, v in found.items() if v}


def place_from_ap(value: Any) -> dict[str, Any] | None:
    """The first usable Place of a `location` (a Place, or a list of them)."""
    for item in as_list(value)[:5]:
        if not isinstance(item, dict) or item.get("type") not in (None, "Place"):
            continue
        place: dict[str, Any] = {
            "name": _text(item.get("name"), 200),
            **_address(item.get("address")),
        }
        latitude = _coordinate(item.get("latitude"), 90)
        longitude = _coordinate(item.get("longitude"), 180)
        if latitude is not None and longitude is not None:
            place["latitude"], place["longitude"] = latitude, longitude
        if len(place) > 1 or place["name"]:
            return place
    return None


def online_url(doc: dict[str, Any]) -> str | None:
    """Mobilizon's online address: the Link attachment named "Website"."""
    from smartnode.content.notes_from_ap import http_url  # notes_from_ap imports this module

    for item in as_list(doc.get("attachment"))[:20]:
        if isinstance(item, dict) and (item.get("type"), item.get("name")) == (
            "Link",
            ONLINE_LINK_NAME,
        ):
            return http_url(link_href(item.get("href")))
    return None


def timezone_of(value: Any) -> str | None:
    """An IANA zone name tzdata knows, else None."""
    if isinstance(value, str) and len(value) <= 64 and value in timezones():
        return value
    return None


def capacity_of(value: Any) -> int | None:
    """A positive whole number of attendees, else None (Mobilizon sends 0 for no limit)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_CAPACITY else None


def count_of(value: Any) -> int | None:
    """A sane participant count as the organizer's node reports it, else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_CAPACITY else None


def event_terms(doc: dict[str, Any]) -> KindTerms:
    """The times and place of a remote Event."""
    starts_at, ends_at = parse_time(doc.get("startTime")), parse_time(doc.get("endTime"))
    if starts_at is None or (ends_at is not None and ends_at <= starts_at):
        ends_at = None
    join_mode = doc.get("joinMode")
    facts = {
        "timezone": timezone_of(doc.get("timezone")),
        "place": place_from_ap(doc.get("location")),
        "online_url": online_url(doc),
        "join_mode": join_mode if isinstance(join_mode, str) and join_mode in JOIN_MODES else None,
        "capacity": capacity_of(doc.get("maximumAttendeeCapacity")),
    }
    participants = count_of(doc.get("participantCount"))
    if participants is not None:
        facts["participants"] = participants
    return KindTerms(kind=EVENT, extra={"event": facts}, starts_at=starts_at, ends_at=ends_at)
