"""Output models of the native API's event routes, and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from smartnode.actors.handles import handle_of
from smartnode.api.v1.schemas import ErrorOut
from smartnode.content.events_inputs import EventVisibility, JoinMode
from smartnode.content.participation import remaining
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject


class PlaceOut(BaseModel):
    name: str
    street_address: str
    postal_code: str
    locality: str
    country: str
    latitude: float | None
    longitude: float | None


class EventOut(BaseModel):
    """An event as published."""

    id: str = Field(description="The event's token: /api/smart/v1/events/{id}.")
    uri: str = Field(description="ActivityPub id of the Event (also its page).")
    type: Literal["Event"] = "Event"
    author: str = Field(description="ActivityPub id of the member or project who publishes it.")
    author_handle: str
    project: str | None = Field(description="Slug of the project when a project publishes it.")
    visibility: EventVisibility
    name: str = Field(description="The title.")
    content: str = Field(description="The description: sanitised HTML in `language`.")
    content_map: dict[str, str] = Field(description="HTML by language, `language` first.")
    summary: str = Field(description="Date, time and place in words, as HTML (as federated).")
    language: str | None
    starts_at: datetime
    ends_at: datetime | None
    timezone: str = Field(description="IANA zone the times are shown in.")
    place: PlaceOut | None
    online_url: str | None
    join_mode: JoinMode
    capacity: int | None
    participants: int = Field(description="How many take part (accepted participants).")
    remaining_places: int | None = Field(description="Places left; null without a capacity.")
    hashtags: list[str] = Field(description="Hashtag names, without `#`.")
    ics_url: str = Field(description="The event as iCalendar.")
    published_at: datetime
    updated_at: datetime


class EventPage(BaseModel):
    """One page of events: upcoming soonest first (or past, latest first)."""

    items: list[EventOut]
    next: str | None = Field(description="URL of the next page; null on the last page.")


def _place(value: Any) -> PlaceOut | None:
    if not isinstance(value, dict):
        return None
    return PlaceOut(
        name=value.get("name") or "",
        street_address=value.get("street_address") or "",
        postal_code=value.get("postal_code") or "",
        locality=value.get("locality") or "",
        country=value.get("country") or "",
        latitude=value.get("latitude"),
        longitude=value.get("longitude"),
    )


def event_out(obj: ContentObject, author: Actor, uris: NodeUris, base_url: str) -> EventOut:
    facts = obj.extra.get("event") or {}
    token = obj.uri.rsplit("/", 1)[-1]
    return EventOut(
        id=token,
        uri=obj.uri,
        author=author.uri,
        author_handle=handle_of(author, uris.domain),
        project=author.username if author.kind == "project" else None,
        visibility=obj.visibility,  # events are never team/direct
        name=obj.name or "",
        content=obj.content,
        content_map=obj.content_map,
        summary=obj.summary or "",
        language=obj.language,
        starts_at=obj.starts_at or obj.published_at,
        ends_at=obj.ends_at,
        timezone=facts.get("timezone") or "UTC",
        place=_place(facts.get("place")),
        online_url=facts.get("online_url"),
        join_mode=JoinMode(facts.get("join_mode") or "free"),
        capacity=facts.get("capacity"),
        participants=int(facts.get("participants") or 0),
        remaining_places=remaining(obj, int(facts.get("participants") or 0)),
        hashtags=[t["name"].lstrip("#") for t in obj.tags if t.get("type") == "Hashtag"],
        ics_url=f"{base_url}/api/smart/v1/events/{token}.ics",
        published_at=obj.published_at,
        updated_at=obj.updated_at,
    )


_DESCRIBED = {
    401: "Missing or invalid token (send `Authorization: Bearer <token>`).",
    403: "The token's member may not publish as this actor or change this event.",
    404: "No such member, project or event (non-public events are not shown here).",
    410: "The actor or the event was deleted.",
    422: "Invalid input; `error` names the field.",
}


def event_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422."""
    return {s: {"model": ErrorOut, "description": _DESCRIBED[s]} for s in sorted({*statuses, 422})}
