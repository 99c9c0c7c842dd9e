"""Validated input for events (API bodies): what a member or project publishes."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal, Self
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

from smartnode.actors.inputs import Language
from smartnode.content.inputs import MAX_CONTENT, MAX_TITLE, Format, Hashtag

MAX_CAPACITY = 1_000_000
MAX_TRANSLATIONS = 10


class JoinMode(StrEnum):
    """How people join, as Mobilizon's `joinMode`: anyone, on approval, or by invitation."""

    FREE = "free"
    RESTRICTED = "restricted"
    INVITE = "invite"


EventVisibility = Literal["public", "unlisted", "followers"]


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    """Every IANA zone name this machine knows (tzdata)."""
    return frozenset(available_timezones())


def _timezone(value: str) -> str:
    value = value.strip()
    if value not in timezones():
        raise ValueError(f"{value[:64]!r} is not an IANA time zone like 'Europe/Stockholm'")
    return value


def _line(value: str) -> str:
    """One line of plain text: whitespace (newlines included) collapsed."""
    return " ".join(value.split())


Timezone = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
Line = Annotated[str, AfterValidator(_line)]


class PlaceInput(BaseModel):
    """Where the event happens: a named place with a postal address and optional coordinates."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=200, examples=["Malmö Opera"])
    street_address: Line = Field(default="", max_length=200)
    postal_code: Line = Field(default="", max_length=20)
    locality: Line = Field(default="", max_length=100, examples=["Malmö"])
    country: Line = Field(default="", max_length=100, examples=["SE"])
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


def _translations(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None and (
        len(value) > MAX_TRANSLATIONS or any(len(v) > MAX_CONTENT for v in value.values())
    ):
        raise ValueError(
            f"at most {MAX_TRANSLATIONS} translations of at most {MAX_CONTENT} characters each"
        )
    return value


class EventInput(BaseModel):
    """A new event. It has a place, an online URL, or both (hybrid)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=MAX_TITLE, description="The title.")
    content: str = Field(min_length=1, max_length=MAX_CONTENT, description="The description.")
    format: Format = Field(
        default="text", description="`text` (paragraphs, line breaks) or `html` (limited HTML)."
    )
    content_map: dict[Language, str] = Field(
        default_factory=dict, description="Translations of `content`: {'en': '...'}."
    )
    language: Language | None = Field(
        default=None, description="Language of `content`; default: the author's language."
    )
    starts_at: AwareDatetime = Field(description="Start, with its UTC offset.")
    ends_at: AwareDatetime | None = Field(default=None, description="End, after the start.")
    timezone: Timezone = Field(description="IANA zone the times are shown in.")
    place: PlaceInput | None = None
    online_url: HttpUrl | None = Field(default=None, description="Where to join online.")
    join_mode: JoinMode = JoinMode.FREE
    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY, description="Max attendees.")
    hashtags: list[Hashtag] = Field(default_factory=list, max_length=20)
    visibility: EventVisibility = "public"

    @field_validator("content_map")
    @classmethod
    def _bounded(cls, value: dict[str, str]) -> dict[str, str]:
        return _translations(value) or {}

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.place is None and self.online_url is None:
            raise ValueError("an event needs a place, an online_url, or both")
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must come after starts_at")
        return self


class EventUpdate(BaseModel):
    """An edit: only the fields given change (null clears place, online_url, ends_at or
    capacity). Visibility never changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    content: str | None = Field(default=None, min_length=1, max_length=MAX_CONTENT)
    format: Format | None = None
    content_map: dict[Language, str] | None = None
    language: Language | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: Timezone | None = None
    place: PlaceInput | None = None
    online_url: HttpUrl | None = None
    join_mode: JoinMode | None = None
    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    hashtags: list[Hashtag] | None = Field(default=None, max_length=20)

    @field_validator("content_map")
    @classmethod
    def _bounded(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _translations(value)
