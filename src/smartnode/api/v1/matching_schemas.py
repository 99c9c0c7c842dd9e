"""Query parameters and answers of the match-making API (candidates, exchange)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

from smartnode.api.v1.schemas import ErrorOut, errors
from smartnode.errors import ValidationFailed
from smartnode.matching.score import Need, Place, Wanted
from smartnode.matching.terms import CEFR, is_esco_uri

_LANGUAGE = re.compile(r"^([a-z]{2,3})(?::(A1|A2|B1|B2|C1|C2|native))?$")
#: The level a language parameter means when it names none.
DEFAULT_LEVEL = "B1"
MAX_TERMS = 20

Uris = Annotated[list[str], Query(max_length=MAX_TERMS, description="ESCO URIs, repeatable.")]
Languages = Annotated[
    list[str], Query(max_length=10, description="`sv` or `sv:C1` (at least that level).")
]
Lang = Annotated[
    str | None, Query(pattern=r"^[a-z]{2,3}$", description="Language of explanations.")
]
Page = Annotated[int, Query(ge=1, le=50, description="How many candidates.")]


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error answers, with 403 for callers who do not coordinate the project."""
    found = errors(*(s for s in statuses if s != 403))
    if 403 in statuses:
        found[403] = {"model": ErrorOut, "description": "Not a coordinator of the project."}
    return found


class CandidateOut(BaseModel):
    """A member who matches, with why: a score in [0, 1] and its explanation."""

    username: str
    handle: str
    actor_uri: str
    name: str
    score: float
    components: dict[str, float] = Field(description="skills, languages, availability, …")
    explanation: str = Field(description="In the viewer's language.")
    parts: list[dict[str, Any]] = Field(description="The explanation, structured.")


class CandidatePage(BaseModel):
    """The best candidates, most diverse list first (one node or sector does not fill it)."""

    items: list[CandidateOut]


def _uris(values: list[str], name: str) -> tuple[Wanted, ...]:
    for value in values:
        if not is_esco_uri(value):
            raise ValidationFailed(f"{name}: {value!r} is not an ESCO URI")
    return tuple(Wanted(v) for v in dict.fromkeys(values))


def _languages(values: list[str]) -> tuple[tuple[str, str], ...]:
    found = []
    for value in values:
        match = _LANGUAGE.match(value)
        if match is None:
            raise ValidationFailed(
                f"language: {value!r} is not a code with an optional CEFR level "
                f"({', '.join(CEFR)}), like sv or sv:C1"
            )
        found.append((match[1], match[2] or DEFAULT_LEVEL))
    return tuple(dict(found).items())


def need_from_query(
    *,
    skill: list[str],
    optional: list[str],
    occupation: str | None,
    language: list[str],
    starts_on: date | None,
    ends_on: date | None,
    latitude: float | None,
    longitude: float | None,
    country: str | None,
    remote: bool,
    q: str | None,
) -> Need:
    """A project's need from the candidates query; ValidationFailed for nonsense."""
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("latitude and longitude: give both, or neither")
    if ends_on is not None and starts_on is None:
        raise ValidationFailed("ends_on: give starts_on too")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationFailed("ends_on: the period ends before it starts")
    if occupation is not None:
        _uris([occupation], "occupation")
    place = None
    if latitude is not None or country:
        place = Place(latitude, longitude, (country or "").upper())
    return Need(
        required=_uris(skill, "skill"), optional=_uris(optional, "optional"),
        occupation=occupation, languages=_languages(language), starts_on=starts_on,
        ends_on=ends_on, place=None if remote else place, remote=remote, text=q or "",
    )  # fmt: skip
