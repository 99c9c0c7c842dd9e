"""Validated input for a member's matching profile (API body; the seed uses it too).

A PUT replaces the whole profile: what is left out takes its default, and every opt-in defaults
to off. Coordinates are rounded to 0.1° (~10 km) before they are stored.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from smartnode.actors.inputs import Country, Language
from smartnode.matching.terms import CEFR, SECTORS, is_esco_uri

#: Coordinates are kept to one decimal: about 11 km north-south, less east-west.
COORDINATE_DECIMALS = 1

Cefr = Literal["A1", "A2", "B1", "B2", "C1", "C2", "native"]
Sector = Literal[
    "performing arts", "music", "film", "design", "games", "architecture", "education",
    "sustainability", "tech", "events", "media",
]  # fmt: skip
assert set(get_args(Sector)) == set(SECTORS) and set(get_args(Cefr)) == set(CEFR)


def _esco_uri(value: str) -> str:
    value = value.strip()
    if not is_esco_uri(value):
        raise ValueError(f"{value!r} is not an ESCO URI (http://data.europa.eu/esco/…)")
    return value


EscoUri = Annotated[str, AfterValidator(_esco_uri)]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


class StrictModel(BaseModel):
    """Unknown fields are refused; strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SkillEntry(StrictModel):
    """One skill: an ESCO concept (`uri`), a local skill (`local` slug) or a new local skill
    (`name`, made on first use)."""

    uri: EscoUri | None = None
    local: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=60)
    level: int = Field(default=2, ge=1, le=4, description="1 basic … 4 expert.")
    can_teach: bool = False
    wants_to_learn: bool = False

    @model_validator(mode="after")
    def _one_skill(self) -> Self:
        given = [v for v in (self.uri, self.local, self.name) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of uri, local or name for each skill")
        return self


class LanguageEntry(StrictModel):
    """A working language and its CEFR level."""

    language: Language
    level: Cefr


class Window(StrictModel):
    """Dates (both included) when the member is available."""

    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("an availability window must not end before it starts")
        return self


class Location(StrictModel):
    """Where the member is based; coordinates are rounded to ~10 km when stored."""

    country: Country = ""
    city: str = Field(default="", max_length=100)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither_rounded(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        self.latitude, self.longitude = _round(self.latitude), _round(self.longitude)
        return self


class OptIns(StrictModel):
    """What the member allows; everything is off unless they turn it on."""

    listed: bool = Field(default=False, description="Listed in the directory (discoverable).")
    visible_to_nodes: bool = Field(
        default=False, description="Skills shown to other nodes on the actor (DefinedTerm tags)."
    )
    suggestions: bool = Field(default=False, description="Suggested for matching calls.")
    indexable: bool = Field(default=False, description="Full-text searchable.")
    found_by_peers: bool = Field(
        default=False, description="Found by the searches of the federation's trusted nodes."
    )


class MatchingProfileInput(StrictModel):
    """A member's whole matching profile."""

    skills: list[SkillEntry] = Field(default_factory=list, max_length=50)
    languages: list[LanguageEntry] = Field(default_factory=list, max_length=20)
    availability: list[Window] = Field(default_factory=list, max_length=20)
    location: Location | None = Field(
        default=None, description="Left out: country and city stay, no coordinates."
    )
    remote_ok: bool = False
    travel_radius_km: int | None = Field(default=None, ge=0, le=20000)
    cross_border: bool = False
    sectors: list[Sector] = Field(default_factory=list, max_length=len(SECTORS))
    opt_ins: OptIns = Field(default_factory=OptIns)

    @field_validator("languages")
    @classmethod
    def _distinct_languages(cls, value: list[LanguageEntry]) -> list[LanguageEntry]:
        if len({entry.language for entry in value}) != len(value):
            raise ValueError("each language may be given once")
        return value

    @field_validator("sectors")
    @classmethod
    def _distinct_sectors(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("skills")
    @classmethod
    def _distinct_skills(cls, value: list[SkillEntry]) -> list[SkillEntry]:
        keys = [(e.uri, e.local, e.name.casefold() if e.name else None) for e in value]
        if len(set(keys)) != len(keys):
            raise ValueError("each skill may be given once")
        return value
