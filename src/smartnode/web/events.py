"""The HTML page of one of our events, with schema.org Event JSON-LD for search engines
(api/objects.py negotiates and calls `event_page`).

Only the description and its translations (sanitised when stored) are marked safe; the date
and time are written by Babel in the viewer's language, in the event's own zone (web/formats).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import Settings
from smartnode.content.compose import plain_text
from smartnode.content.events_to_ap import zoned
from smartnode.content.events_wording import place_line
from smartnode.content.participation import remaining
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject
from smartnode.web.calls import script_json
from smartnode.web.i18n import N_
from smartnode.web.notes import note_view, replies_view
from smartnode.web.page_actions import event_actions
from smartnode.web.pages import render

SCHEMA = "https://schema.org/"
JOIN_MODES = {
    "free": N_("Anyone can join"),
    "restricted": N_("Join on approval"),
    "invite": N_("By invitation only"),
}
#: Visibilities whose .ics the API serves (api/v1/events.py answers 404 for the others).
CALENDAR_VISIBILITIES = ("public", "unlisted")


def _facts(obj: ContentObject) -> Mapping[str, Any]:
    facts = obj.extra.get("event")
    return facts if isinstance(facts, dict) else {}


def _online(facts: Mapping[str, Any]) -> str | None:
    url = facts.get("online_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _place(facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    place = facts.get("place")
    return place if isinstance(place, dict) and place.get("name") else None


def _address(place: Mapping[str, Any]) -> str:
    """The place's address without its name and country (the page shows them apart, the
    country named in the page's language)."""
    return place_line({**place, "name": None, "country": None})


def _shown_place(place: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not place:
        return None
    country = place.get("country")
    return {"name": str(place["name"]), "address": _address(place),
            "country": country if isinstance(country, str) else None}  # fmt: skip


def _postal_address(place: Mapping[str, Any]) -> dict[str, Any]:
    parts = {
        "streetAddress": place.get("street_address"),
        "postalCode": place.get("postal_code"),
        "addressLocality": place.get("locality"),
        "addressCountry": place.get("country"),
    }
    return {"@type": "PostalAddress", **{k: str(v) for k, v in parts.items() if v}}


def _locations(place: Mapping[str, Any] | None, online: str | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if place is not None:
        spot: dict[str, Any] = {
            "@type": "Place",
            "name": str(place["name"]),
            "address": _postal_address(place),
        }
        if place.get("latitude") is not None and place.get("longitude") is not None:
            spot["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": place["latitude"],
                "longitude": place["longitude"],
            }
        found.append(spot)
    if online is not None:
        found.append({"@type": "VirtualLocation", "url": online})
    return found


def _attendance(place: Mapping[str, Any] | None, online: str | None) -> str:
    if place is not None and online is not None:
        return SCHEMA + "MixedEventAttendanceMode"
    return SCHEMA + ("OnlineEventAttendanceMode" if online else "OfflineEventAttendanceMode")


def schema_event(obj: ContentObject, author: Actor) -> dict[str, Any]:
    """An event as a schema.org Event (Google's required and recommended properties)."""
    facts = _facts(obj)
    timezone = facts.get("timezone") if isinstance(facts.get("timezone"), str) else None
    place, online = _place(facts), _online(facts)
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": obj.name or "",
        "description": plain_text(obj.content),
        "url": obj.url or obj.uri,
        "eventStatus": SCHEMA + "EventScheduled",
        "eventAttendanceMode": _attendance(place, online),
        "organizer": {
            "@type": "Organization" if author.kind == "project" else "Person",
            "name": author.name,
            "url": author.uri,
        },
    }
    if obj.starts_at is not None:
        doc["startDate"] = zoned(obj.starts_at, timezone)
    if obj.ends_at is not None:
        doc["endDate"] = zoned(obj.ends_at, timezone)
    locations = _locations(place, online)
    if locations:
        doc["location"] = locations[0] if len(locations) == 1 else locations
    if isinstance(facts.get("capacity"), int):
        doc["maximumAttendeeCapacity"] = facts["capacity"]
        doc["remainingAttendeeCapacity"] = remaining(obj, _participants(facts))
    if obj.language:
        doc["inLanguage"] = obj.language
    return doc


def _participants(facts: Mapping[str, Any]) -> int:
    count = facts.get("participants")
    return count if isinstance(count, int) else 0


def event_view(obj: ContentObject) -> dict[str, Any]:
    """What an event's page shows beside the note's parts (title, author, description, tags)."""
    facts = _facts(obj)
    timezone = str(facts.get("timezone") or "UTC")
    place, online = _place(facts), _online(facts)
    start = obj.starts_at or obj.published_at
    return {
        "starts_at": start,
        "ends_at": obj.ends_at,
        "timezone": timezone,
        "starts": zoned(start, timezone),
        "ends": zoned(obj.ends_at, timezone) if obj.ends_at else None,
        "place": _shown_place(place),
        "online_url": online,
        "join_mode": JOIN_MODES.get(str(facts.get("join_mode")), JOIN_MODES["free"]),
        "capacity": facts.get("capacity") if isinstance(facts.get("capacity"), int) else None,
        "participants": _participants(facts),
        "remaining": remaining(obj, _participants(facts)),
    }


def _calendar_links(
    obj: ContentObject, author: Actor, settings: Settings, uris: NodeUris
) -> dict[str, Any]:
    """This event's .ics (when the API serves it) and the author's calendar feed."""
    token = uris.event_token(obj.uri)
    listed = obj.visibility in CALENDAR_VISIBILITIES and token is not None
    return {
        "ics": f"{settings.base_url}/api/smart/v1/events/{token}.ics" if listed else None,
        "feed": uris.calendar(author.uri) if obj.visibility == "public" else None,
    }


async def event_page(
    request: Request, session: AsyncSession, obj: ContentObject, author: Actor
) -> Response:
    """The page at a live, readable event's id; public events carry Event JSON-LD."""
    settings: Settings = request.app.state.settings
    public = obj.visibility == "public"
    actions = await event_actions(request, obj)
    response = render(
        request,
        "event.html",
        headers=actions.headers({"Vary": "Accept"}),
        act=actions.context,
        n=note_view(obj, author, settings),
        replies=await replies_view(request, session, obj),
        e=event_view(obj),
        links=_calendar_links(obj, author, settings, request.app.state.uris),
        json_ld=script_json(schema_event(obj, author)) if public else None,
        actor_uri=obj.uri,
        noindex=not public,
    )
    return actions.finish(response)
