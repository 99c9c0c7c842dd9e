"""Validated input for creating and changing members and projects (API bodies and CLI)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, field_validator

from smartnode.actors.names import MAX_SLUG, check_username

_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _language(value: str) -> str:
    if not _LANG.match(value):
        raise ValueError(f"{value!r} is not a language code like 'sv' or 'fr'")
    return value


def _country(value: str) -> str:
    value = value.strip().upper()
    if value and not _COUNTRY.match(value):
        raise ValueError(f"{value!r} is not a two-letter country code like 'SE'")
    return value


def _country_code(value: str) -> str:
    value = _country(value)
    if not value:
        raise ValueError("a two-letter country code like 'SE' is needed")
    return value


def _tag(value: str) -> str:
    value = " ".join(value.split())
    if not value or len(value) > 60:
        raise ValueError("each skill or sector must be 1-60 characters")
    return value


Language = Annotated[str, AfterValidator(_language)]
Country = Annotated[str, AfterValidator(_country)]  # may be empty: not given
CountryCode = Annotated[str, AfterValidator(_country_code)]
Tag = Annotated[str, AfterValidator(_tag)]


class Link(BaseModel):
    """A named link on a profile (portfolio, website)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    url: HttpUrl


class ProfileInput(BaseModel):
    """Fields shared by members and projects."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    summary: str = Field(default="", max_length=5000, description="Bio, HTML allowed.")
    summary_map: dict[Language, str] = Field(
        default_factory=dict, description="Bio in more languages: {'sv': '...', 'en': '...'}."
    )
    language: Language = Field(default="en", description="The author's own language.")
    country: Country = ""
    city: str = Field(default="", max_length=100)
    avatar_url: HttpUrl | None = None
    header_url: HttpUrl | None = None
    manually_approves_followers: bool = False

    @field_validator("summary_map")
    @classmethod
    def _bounded(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 10 or any(len(v) > 5000 for v in value.values()):
            raise ValueError("at most 10 translations of at most 5000 characters each")
        return value


class MemberInput(ProfileInput):
    """A new member."""

    username: str = Field(description="ASCII handle: a-z, 0-9, _ with . or - inside.")
    email: str | None = Field(default=None, max_length=320)
    languages: list[Language] = Field(default_factory=list, max_length=20)
    skills: list[Tag] = Field(default_factory=list, max_length=50)
    links: list[Link] = Field(default_factory=list, max_length=10)
    discoverable: bool = Field(default=False, description="Listed in directories (off by default).")
    indexable: bool = Field(default=False, description="Full-text searchable (off by default).")
    hide_network: bool = Field(default=False, description="Show follower counts, not the lists.")

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return check_username(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value


class MemberUpdate(BaseModel):
    """A change to a member's profile: only the fields given are changed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    summary: str | None = Field(default=None, max_length=5000)
    summary_map: dict[Language, str] | None = None
    language: Language | None = None
    country: Country | None = None
    city: str | None = Field(default=None, max_length=100)
    avatar_url: HttpUrl | None = None
    header_url: HttpUrl | None = None
    languages: list[Language] | None = Field(default=None, max_length=20)
    skills: list[Tag] | None = Field(default=None, max_length=50)
    links: list[Link] | None = Field(default=None, max_length=10)
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_network: bool | None = None
    manually_approves_followers: bool | None = None


class ProjectInput(ProfileInput):
    """A new project; the slug is made from the name when not given."""

    slug: str | None = Field(default=None, description="ASCII slug; default: from the name.")
    coordinator: str | None = Field(
        default=None,
        description="Username of the local member who coordinates it; default: the member "
        "who creates it (an admin names one, or acts for one with `?as=`).",
    )
    sectors: list[Tag] = Field(default_factory=list, max_length=10)
    website: HttpUrl | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        return None if value is None else check_username(value, max_length=MAX_SLUG, what="slug")


class ProjectUpdate(BaseModel):
    """A change to a project: only the fields given are changed (the slug never changes)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    summary: str | None = Field(default=None, max_length=5000)
    summary_map: dict[Language, str] | None = None
    language: Language | None = None
    country: Country | None = None
    city: str | None = Field(default=None, max_length=100)
    avatar_url: HttpUrl | None = None
    header_url: HttpUrl | None = None
    manually_approves_followers: bool | None = None
    sectors: list[Tag] | None = Field(default=None, max_length=10)
    website: HttpUrl | None = None
