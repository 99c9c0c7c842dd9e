"""A call's terms, typed: THE one reader of `extra["call"]` and THE one rule of "is it open".

Our calls and the remote calls we store keep their terms in `extra["call"]` (the shape
`CallTerms.stored` writes; calls_to_ap documents it); older rows kept them flat in `extra`.
The state and deadline live in the row's columns. `call_terms(obj)` reads all of it, tolerant
of anything malformed (it never raises); `is_open(now)` says whether the call takes
applications, and `open_calls(now)` says the same in SQL. Pure, apart from the SQL expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from smartnode.storage.models import ContentObject

OPEN, CLOSED, FILLED = "open", "closed", "filled"
STATES = (OPEN, CLOSED, FILLED)


@dataclass(frozen=True, slots=True)
class WantedSkill:
    """A skill the call asks for: its ESCO URI, its label, a level (1-4) and whether it is a
    must (matching reads the last two; our calls leave them at their defaults)."""

    uri: str
    name: str | None = None
    level: int = 1
    required: bool = False


@dataclass(frozen=True, slots=True)
class Effort:
    """How much work one position is: an amount of hours, days, weeks or months."""

    amount: str
    unit: str


@dataclass(frozen=True, slots=True)
class Pay:
    """The remuneration of one position: an amount in a currency per unit (or per project)."""

    amount: str
    currency: str
    unit: str


@dataclass(frozen=True, slots=True)
class CallTerms:
    """What a call offers and asks, its state and its deadline."""

    title: str | None = None
    occupation: str | None = None
    skills: tuple[WantedSkill, ...] = ()
    languages: tuple[tuple[str, str | None], ...] = ()  # (code, CEFR level or None)
    starts_on: date | None = None
    ends_on: date | None = None
    country: str | None = None  # ISO 3166 alpha-2, upper case
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    remote: bool = False
    positions: int = 1
    effort: Effort | None = None
    paid: Pay | None = None
    sectors: tuple[str, ...] = ()
    state: str = OPEN
    closes_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        """Whether the call takes applications: open, and its deadline not passed."""
        return self.closed_because(now) is None

    def closed_because(self, now: datetime) -> str | None:
        """Why the call takes no applications (None while it is open), in words."""
        if self.state != OPEN:
            return f"the call is {self.state}: it takes no applications"
        if self.closes_at is not None and self.closes_at <= now:
            return "the call's deadline has passed: it takes no applications"
        return None

    @property
    def language_codes(self) -> list[str]:
        return [code for code, _ in self.languages]

    @property
    def skill_uris(self) -> list[str]:
        return [skill.uri for skill in self.skills]

    def stored(self) -> dict[str, Any]:
        """The terms as `extra["call"]` keeps them (state and deadline are columns)."""
        effort, paid = self.effort, self.paid
        return {
            "title": self.title,
            "occupation": self.occupation,
            "skills": [{"uri": s.uri, "name": s.name or s.uri} for s in self.skills],
            "languages": self.language_codes,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "country": self.country,
            "city": self.city,
            "remote": self.remote,
            "positions": self.positions,
            "effort": {"amount": effort.amount, "unit": effort.unit} if effort else None,
            "paid": {"amount": paid.amount, "currency": paid.currency, "unit": paid.unit}
            if paid
            else None,
        }


def call_terms(obj: ContentObject) -> CallTerms:
    """The terms of a stored call (ours or a remote one): `extra`, `name`, state, deadline."""
    return read_terms(obj.extra, name=obj.name, state=obj.state, closes_at=obj.closes_at)


def read_terms(
    extra: Any,
    *,
    name: str | None = None,
    state: str | None = None,
    closes_at: datetime | None = None,
) -> CallTerms:
    """Terms from a row's `extra` (its `call` entry, else `extra` itself) and its columns."""
    found = extra if isinstance(extra, Mapping) else {}
    terms: Mapping[str, Any] = found["call"] if isinstance(found.get("call"), Mapping) else found
    place = terms["place"] if isinstance(terms.get("place"), Mapping) else terms
    title = _text(terms.get("title")) or _text(name)
    return CallTerms(
        title=title, occupation=_text(terms.get("occupation")),
        skills=_skills(terms.get("skills")), languages=_languages(terms.get("languages")),
        starts_on=_day(terms.get("starts_on")), ends_on=_day(terms.get("ends_on")),
        country=_country(terms.get("country") or place.get("country")),
        city=_text(terms.get("city")) or _text(place.get("city")),
        latitude=_number(place.get("latitude")), longitude=_number(place.get("longitude")),
        remote=terms.get("remote") is True, positions=_positions(terms.get("positions")),
        effort=_effort(terms.get("effort")), paid=_pay(terms.get("paid")),
        sectors=tuple(s for s in _list(terms.get("sectors")) if isinstance(s, str)),
        state=state if state in STATES else OPEN, closes_at=closes_at,
    )  # fmt: skip


def open_calls(now: datetime) -> ColumnElement[bool]:
    """`CallTerms.is_open` in SQL: state open (every call row has one), deadline ahead."""
    return and_(
        ContentObject.state == OPEN,
        or_(ContentObject.closes_at.is_(None), ContentObject.closes_at > now),
    )


def stored_term(name: str) -> Any:
    """One entry of a call's stored terms (`extra["call"][name]`) as an SQL JSON element."""
    return ContentObject.extra["call"][name]


# ---------------------------------------------------------------- tolerant readers


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _country(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) and len(value) == 2 else None


def _positions(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return 1


def _skills(entries: Any) -> tuple[WantedSkill, ...]:
    """An entry is a URI, or {uri, name?, level?, required?}."""
    found: list[WantedSkill] = []
    for entry in _list(entries):
        item = entry if isinstance(entry, Mapping) else {"uri": entry}
        uri, level = item.get("uri"), item.get("level", 1)
        if not isinstance(uri, str) or not uri:
            continue
        level = level if isinstance(level, int) and 1 <= level <= 4 else 1
        found.append(WantedSkill(uri, _text(item.get("name")), level, item.get("required") is True))
    return tuple(found)


def _languages(entries: Any) -> tuple[tuple[str, str | None], ...]:
    """An entry is a language code, or {language, level?}."""
    found: list[tuple[str, str | None]] = []
    for entry in _list(entries):
        item = entry if isinstance(entry, Mapping) else {"language": entry}
        code, level = item.get("language"), item.get("level")
        if isinstance(code, str) and code:
            found.append((code.lower(), level if isinstance(level, str) else None))
    return tuple(dict.fromkeys(found))


def _effort(value: Any) -> Effort | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("unit"), str):
        return None
    amount = value.get("amount")
    return Effort(str(amount), value["unit"]) if isinstance(amount, str | int | float) else None


def _pay(value: Any) -> Pay | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("currency"), str):
        return None
    amount, unit = value.get("amount"), value.get("unit")
    if not isinstance(amount, str | int | float):
        return None
    return Pay(str(amount), value["currency"], unit if isinstance(unit, str) else "project")
