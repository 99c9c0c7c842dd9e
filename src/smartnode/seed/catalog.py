"""Seed data per country: JSON files in seed/data, validated by the same inputs as the API."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartnode.actors.inputs import Country, MemberInput, ProjectInput
from smartnode.actors.projects import Role
from smartnode.errors import ValidationFailed
from smartnode.federation.sanitize import text_to_html
from smartnode.seed.content import SeedCall, SeedEvent

#: Countries of the Smart cooperative, each with a seed file seed/data/<code>.json.
COUNTRIES = ("AT", "BE", "DE", "ES", "FR", "IT", "NL", "SE")


class TeamSeat(BaseModel):
    """A local member's place in a seeded project's team."""

    model_config = ConfigDict(extra="forbid")

    username: str
    role: Role


class SeedProject(ProjectInput):
    """A project to seed: the API's input plus its team and, if cross-border, partner countries."""

    team: list[TeamSeat] = Field(default_factory=list)
    partners: list[Country] = Field(default_factory=list)


class SeedCountry(BaseModel):
    """Everything seeded for one country's node."""

    model_config = ConfigDict(extra="forbid")

    country: Country
    node_name: str
    node_description: str
    members: list[MemberInput]
    projects: list[SeedProject]
    calls: list[SeedCall] = Field(default_factory=list)
    events: list[SeedEvent] = Field(default_factory=list)


def country_code(value: str) -> str:
    """`se` → `SE`; ValidationFailed for a country without seed data."""
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise ValidationFailed(
            f"no seed data for country {value!r}; there is for {', '.join(COUNTRIES)}"
        )
    return code


@cache
def load_country(value: str) -> SeedCountry:
    """The validated seed data of a country (`SE`, `be`, …)."""
    code = country_code(value)
    raw = json.loads(
        resources.files("smartnode.seed").joinpath(f"data/{code.lower()}.json").read_text("utf-8")
    )
    raw["members"] = [_member(m, code) for m in raw["members"]]
    raw["projects"] = [_project(p, code) for p in raw["projects"]]
    return SeedCountry.model_validate(raw)


def _texts(translations: dict[str, str], language: str) -> dict[str, Any]:
    """Plain-text bio per language → summary (author's language) and summary_map (the rest)."""
    html = {lang: text_to_html(text) for lang, text in translations.items()}
    return {"summary": html.get(language, ""), "summary_map": html}


def _member(raw: dict[str, Any], country: str) -> dict[str, Any]:
    fields = {k: v for k, v in raw.items() if k != "bio"}
    fields.setdefault("country", country)
    fields.setdefault("indexable", fields.get("discoverable", False))
    return {**fields, **_texts(raw.get("bio", {}), raw.get("language", "en"))}


def _project(raw: dict[str, Any], country: str) -> dict[str, Any]:
    fields = {k: v for k, v in raw.items() if k != "summary"}
    fields.setdefault("country", country)
    return {**fields, **_texts(raw.get("summary", {}), raw.get("language", "en"))}
