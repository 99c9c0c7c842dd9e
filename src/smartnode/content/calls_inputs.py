"""Validated input for open calls (API bodies): what a project's coordinator publishes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from smartnode.actors.inputs import CountryCode, Language
from smartnode.content.inputs import MAX_CONTENT, MAX_TITLE, Format, Hashtag
from smartnode.matching.inputs import EscoUri

EFFORT_UNITS = ("hour", "day", "week", "month")
PAY_UNITS = ("hour", "day", "week", "month", "project")
MAX_SKILLS = 20


class CallVisibility(StrEnum):
    """A call is for everyone: listed (public) or not on timelines (unlisted)."""

    PUBLIC = "public"
    UNLISTED = "unlisted"


def _currency(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 3 or not value.isascii() or not value.isalpha():
        raise ValueError("a three-letter ISO 4217 currency code like 'EUR'")
    return value


Currency = Annotated[str, AfterValidator(_currency)]


class EffortInput(BaseModel):
    """How much work one position is: an amount of hours, days, weeks or months."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, le=100_000, max_digits=9, decimal_places=2)
    unit: Literal["hour", "day", "week", "month"]


class PayInput(BaseModel):
    """Paid work: an amount in a currency, per hour, day, week, month or for the project."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0, le=100_000_000, max_digits=12, decimal_places=2)
    currency: Currency
    unit: Literal["hour", "day", "week", "month", "project"] = "project"


class PlaceInput(BaseModel):
    """Where the work is done."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    country: CountryCode
    city: str = Field(default="", max_length=100)


def _bounded_map(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None and (len(value) > 10 or any(len(v) > MAX_CONTENT for v in value.values())):
        raise ValueError(f"at most 10 translations of at most {MAX_CONTENT} characters each")
    return value


def _moment(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class _Terms(BaseModel):
    """Fields shared by a new call and an edit (all optional here)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    description: str | None = Field(default=None, min_length=1, max_length=MAX_CONTENT)
    format: Format | None = Field(default=None, description="`text` or `html` (limited HTML).")
    content_map: dict[Language, str] | None = Field(
        default=None, description="Translations of `description`: {'en': '...'}."
    )
    language: Language | None = Field(default=None, description="Default: the project's.")
    occupation: EscoUri | None = Field(default=None, description="ESCO occupation URI.")
    skills: list[EscoUri] | None = Field(default=None, max_length=MAX_SKILLS)
    languages: list[Language] | None = Field(default=None, max_length=10)
    starts_on: date | None = None
    ends_on: date | None = None
    place: PlaceInput | None = None
    remote: bool | None = None
    closes_at: datetime | None = Field(default=None, description="Deadline for applications.")
    positions: int | None = Field(default=None, ge=1, le=1000)
    effort: EffortInput | None = None
    paid: PayInput | None = Field(default=None, description="Remuneration; null: unpaid.")
    hashtags: list[Hashtag] | None = Field(default=None, max_length=20)

    _maps = field_validator("content_map")(_bounded_map)
    _tz = field_validator("closes_at")(_moment)

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on: the period ends before it starts")
        return self


class CallInput(_Terms):
    """A new open call, published by a project."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(min_length=1, max_length=MAX_CONTENT)
    format: Format = "text"
    visibility: CallVisibility = CallVisibility.PUBLIC
    positions: int = Field(default=1, ge=1, le=1000)
    remote: bool = False

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.place is None and not self.remote:
            raise ValueError("place: give a place (country, city) or set remote to true")
        return self


class CallUpdate(_Terms):
    """An edit: only the fields given change (`paid`, `place`, `closes_at`, dates and
    `occupation` may be set to null). Visibility never changes."""
