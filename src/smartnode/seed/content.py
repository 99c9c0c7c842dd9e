"""Seeded open calls and events: the API's inputs with dates given relative to "now", so a
freshly seeded node always has open calls and upcoming events. Published through the real
services (create_call, create_event): they federate, and calls reach the board."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.calls import create_call
from smartnode.content.calls_inputs import CallInput
from smartnode.content.events import create_event
from smartnode.content.events_inputs import EventInput
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject

#: A fixed moment to check the seed files against the inputs' rules when they are loaded.
_CHECKED_AT = datetime(2026, 1, 1, tzinfo=UTC)


class SeedCall(BaseModel):
    """An open call of a seeded project: CallInput's fields (`call`) without its dates."""

    model_config = ConfigDict(extra="forbid")

    project: str
    closes_in_days: int = Field(ge=1, le=365)
    starts_in_days: int | None = Field(default=None, ge=1, le=730)
    lasts_days: int | None = Field(default=None, ge=1, le=365)
    call: dict[str, Any]

    @model_validator(mode="after")
    def _valid(self) -> Self:
        self.call_input(_CHECKED_AT)
        return self

    def call_input(self, now: datetime) -> CallInput:
        """The call as the API would receive it `now`."""
        dates: dict[str, Any] = {"closes_at": (now + timedelta(days=self.closes_in_days))}
        if self.starts_in_days is not None:
            starts = (now + timedelta(days=self.starts_in_days)).date()
            dates["starts_on"] = starts
            if self.lasts_days is not None:
                dates["ends_on"] = starts + timedelta(days=self.lasts_days - 1)
        return CallInput.model_validate({**self.call, **dates})


class SeedEvent(BaseModel):
    """An event of a seeded member or project: EventInput's fields (`event`) without its
    dates, which start `starts_in_days` from now at `starts_at_time` in the event's zone."""

    model_config = ConfigDict(extra="forbid")

    author: str
    starts_in_days: int = Field(ge=1, le=365)
    starts_at_time: time
    lasts_hours: float = Field(gt=0, le=72)
    event: dict[str, Any]

    @model_validator(mode="after")
    def _valid(self) -> Self:
        self.event_input(_CHECKED_AT)
        return self

    def event_input(self, now: datetime) -> EventInput:
        """The event as the API would receive it `now`."""
        zone = ZoneInfo(str(self.event.get("timezone") or "UTC"))
        day = now.astimezone(zone).date() + timedelta(days=self.starts_in_days)
        starts = datetime.combine(day, self.starts_at_time, zone)
        ends = starts + timedelta(hours=self.lasts_hours)
        return EventInput.model_validate({**self.event, "starts_at": starts, "ends_at": ends})


async def publish_call(
    session: AsyncSession, uris: NodeUris, project: Actor, seed: SeedCall, now: datetime
) -> ContentObject:
    """Publish a seeded call by its project, as the API would."""
    return await create_call(session, uris, project=project, data=seed.call_input(now), now=now)


async def publish_event(
    session: AsyncSession, uris: NodeUris, author: Actor, seed: SeedEvent, now: datetime
) -> ContentObject:
    """Publish a seeded event by its member or project, as the API would."""
    return await create_event(session, uris, author=author, data=seed.event_input(now), now=now)
