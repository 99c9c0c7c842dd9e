"""Our events → AS2 Event (pure: rows and URIs in, dicts out).

Interop: the terms Mobilizon writes and reads (lib/federation/activity_stream/converter/
event.ex): `startTime`/`endTime` in the event's zone and `timezone` (mz:timezone), `location`
as a Place whose `address` is a schema.org PostalAddress with `latitude`/`longitude`, the online
address as a Link attachment named "Website", `isOnline` for an online-only event, `joinMode`,
`maximumAttendeeCapacity`, `remainingAttendeeCapacity` and `participantCount` (accepted
participants, see content/participation.py). Mastodon shows an Event as `name` + `summary` +
a link to `url`, so `summary` carries the date, time and place in words (see events_wording).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from smartnode.actors.to_ap import iso
from smartnode.content.events_wording import summary_text
from smartnode.content.notes_to_ap import language_first, replies_to_ap
from smartnode.federation.sanitize import escape_text
from smartnode.federation.vocab import AS_CONTEXT
from smartnode.storage.models import ContentObject

#: Mobilizon's terms (mz:, schema.org) beside Mastodon's, as Mobilizon's own context spells them.
EVENT_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "Hashtag": "as:Hashtag",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "sc": "http://schema.org#",
        "mz": "https://joinmobilizon.org/ns#",
        "PostalAddress": "sc:PostalAddress",
        "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
        "addressCountry": "sc:addressCountry",
        "addressLocality": "sc:addressLocality",
        "addressRegion": "sc:addressRegion",
        "postalCode": "sc:postalCode",
        "streetAddress": "sc:streetAddress",
        "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
        "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
        "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
        "participationMessage": {"@id": "mz:participationMessage", "@type": "sc:Text"},
        "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
        "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
        "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    },
]
#: Interop: Mobilizon finds the online address as the Link attachment with this name.
ONLINE_LINK_NAME = "Website"


def zoned(moment: datetime, timezone: str | None) -> str:
    """xsd:dateTime in the event's zone with its offset (as Mobilizon sends), or UTC."""
    if not timezone:
        return iso(moment)
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def place_to_ap(place: Mapping[str, Any]) -> dict[str, Any]:
    """A stored place as an AS2 Place with a schema.org PostalAddress."""
    address = {
        "type": "PostalAddress",
        "streetAddress": place.get("street_address") or None,
        "postalCode": place.get("postal_code") or None,
        "addressLocality": place.get("locality") or None,
        "addressRegion": place.get("region") or None,
        "addressCountry": place.get("country") or None,
    }
    doc: dict[str, Any] = {
        "type": "Place",
        "name": place.get("name") or "",
        "address": {k: v for k, v in address.items() if v is not None},
    }
    if place.get("latitude") is not None and place.get("longitude") is not None:
        doc["latitude"], doc["longitude"] = place["latitude"], place["longitude"]
    return doc


def summary_html(text: str) -> str:
    """The plain summary as HTML: escaped lines, the online URL linked."""
    lines = []
    for line in text.split("\n"):
        head, sep, url = line.rpartition(": ")
        if sep and url.startswith(("https://", "http://")) and " " not in url:
            lines.append(
                f'{escape_text(head)}: <a href="{escape_text(url)}">{escape_text(url)}</a>'
            )
        else:
            lines.append(escape_text(line))
    return "<p>" + "<br>".join(lines) + "</p>"


def event_summary(
    language: str | None,
    starts_at: datetime,
    ends_at: datetime | None,
    facts: Mapping[str, Any],
) -> str:
    """The summary HTML of an event in one language."""
    text = summary_text(
        language, starts_at, ends_at, facts.get("timezone") or "UTC",
        facts.get("place"), facts.get("online_url"),
    )  # fmt: skip
    return summary_html(text)


def _facts(doc: dict[str, Any], obj: ContentObject, facts: Mapping[str, Any]) -> None:
    timezone = facts.get("timezone")
    if obj.starts_at is not None:
        doc["startTime"] = zoned(obj.starts_at, timezone)
    if obj.ends_at is not None:
        doc["endTime"] = zoned(obj.ends_at, timezone)
    if timezone:
        doc["timezone"] = timezone
    if facts.get("place"):
        doc["location"] = place_to_ap(facts["place"])
    online = facts.get("online_url")
    if online:
        doc["attachment"].append(
            {"type": "Link", "name": ONLINE_LINK_NAME, "mediaType": "text/html", "href": online}
        )
    doc["isOnline"] = bool(online) and not facts.get("place")
    doc["joinMode"] = facts.get("join_mode") or "free"
    count = facts.get("participants")
    doc["participantCount"] = count if isinstance(count, int) else 0
    if facts.get("capacity"):
        doc["maximumAttendeeCapacity"] = facts["capacity"]
        doc["remainingAttendeeCapacity"] = max(0, facts["capacity"] - doc["participantCount"])


def event_to_ap(obj: ContentObject, author_uri: str, *, context: bool = True) -> dict[str, Any]:
    """A live Event as served at its id and embedded in Create/Update."""
    facts: Mapping[str, Any] = obj.extra.get("event") or {}
    doc: dict[str, Any] = {"@context": EVENT_CONTEXT} if context else {}
    doc.update(
        {
            "id": obj.uri,
            "type": "Event",
            "attributedTo": author_uri,
            "name": obj.name or "",
            "published": iso(obj.published_at),
            "url": obj.url or obj.uri,
            "to": list(obj.audience.get("to", [])),
            "cc": list(obj.audience.get("cc", [])),
            "sensitive": obj.sensitive,
            "content": obj.content,
            "mediaType": "text/html",
        }
    )
    if obj.content_map:
        doc["contentMap"] = language_first(obj.language, obj.content_map)
    if obj.summary:
        doc["summary"] = obj.summary
    summaries = facts.get("summary_map")
    if isinstance(summaries, dict) and summaries:
        doc["summaryMap"] = language_first(obj.language, summaries)
    if obj.updated_at != obj.published_at:  # Interop: Mastodon sends `updated` for edits only
        doc["updated"] = iso(obj.updated_at)
    if obj.local:
        doc["replies"] = replies_to_ap(obj.uri)
    doc["attachment"] = [dict(item) for item in obj.attachments]
    _facts(doc, obj, facts)
    doc["tag"] = [dict(item) for item in obj.tags]
    return doc
