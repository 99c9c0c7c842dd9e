"""Scoring a need (a call's or a project's) against candidates (pure: no I/O, no DB).

Hard filters first (required skills, required languages, availability, reach), then a score in
[0, 1]: a weighted mean of the components the need asks about, each in [0, 1]. Every result
carries the structured parts its explanation is rendered from (explain.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from smartnode.matching.terms import CEFR, fold

#: How much each kind of skill match is worth.
EXACT, IMPLIED, SIBLING = 1.0, 0.7, 0.5
#: Component weights; a component the need does not ask about is left out of the mean.
WEIGHTS = {"skills": 0.5, "languages": 0.1, "availability": 0.15, "place": 0.15, "text": 0.1}
#: A required skill (and the occupation) weighs this much more than an optional one.
REQUIRED_WEIGHT, OPTIONAL_WEIGHT = 1.0, 0.5
#: Travel radius assumed when a member gave none.
DEFAULT_RADIUS_KM = 50
#: Place score of a member beyond their radius who works remotely; of an unknown distance.
REMOTE_FROM_AFAR, UNKNOWN_DISTANCE = 0.3, 0.5
#: Words shorter than this are ignored by text relevance.
MIN_WORD = 3
Fit = tuple[float, list[dict[str, Any]]]
_WORDS = re.compile(r"[^\W_]+")
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Place:
    """Where something is: rounded coordinates (either may be missing) and a country code."""

    latitude: float | None = None
    longitude: float | None = None
    country: str = ""

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True, slots=True)
class Wanted:
    """A skill (or occupation) a need asks for, with the level it wants (1-4)."""

    uri: str
    level: int = 1


@dataclass(frozen=True, slots=True)
class Need:
    """What a call or a project asks for."""

    required: tuple[Wanted, ...] = ()
    optional: tuple[Wanted, ...] = ()
    occupation: str | None = None
    languages: tuple[tuple[str, str], ...] = ()  # (code, minimum CEFR level)
    starts_on: date | None = None
    ends_on: date | None = None
    place: Place | None = None
    remote: bool = False
    text: str = ""

    def wanted(self) -> list[tuple[Wanted, float]]:
        """Every wanted concept with its weight: required, the occupation, then optional."""
        found = [(w, REQUIRED_WEIGHT) for w in self.required]
        if self.occupation and all(w.uri != self.occupation for w in self.required):
            found.append((Wanted(self.occupation), REQUIRED_WEIGHT))
        seen = {w.uri for w, _ in found}
        found += [(w, OPTIONAL_WEIGHT) for w in self.optional if w.uri not in seen]
        return found

    def period(self) -> tuple[date, date] | None:
        if self.starts_on is None:
            return None
        return self.starts_on, max(self.ends_on or self.starts_on, self.starts_on)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A local member who opted in, as scoring sees them."""

    member_id: int
    node: str = ""
    sectors: tuple[str, ...] = ()
    skills: Mapping[str, int] = field(default_factory=dict)  # concept URI → level 1-4
    languages: Mapping[str, str] = field(default_factory=dict)  # code → CEFR level
    windows: tuple[tuple[date, date], ...] = ()
    place: Place = Place()
    remote_ok: bool = False
    travel_radius_km: int | None = None
    cross_border: bool = False
    text: str = ""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the taxonomy and the node know about the wanted concepts."""

    siblings: Mapping[str, frozenset[str]] = field(default_factory=dict)  # share a broader one
    #: What implies a concept: the occupations a skill is essential to, and the essential
    #: skills of an occupation (a holder covers it at IMPLIED).
    implied_by: Mapping[str, frozenset[str]] = field(default_factory=dict)
    holders: Mapping[str, int] = field(default_factory=dict)  # members holding each concept
    population: int = 0  # members with any skill


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate who passed the filters: score, components and explanation parts."""

    candidate: Candidate
    score: float
    components: dict[str, float]
    parts: list[dict[str, Any]]


# ---------------------------------------------------------------- skills


def skill_match(uri: str, candidate: Candidate, facts: Facts) -> tuple[str, int, str | None]:
    """How a candidate covers a wanted concept: (exact|implied|sibling|none, level, via)."""
    if uri in candidate.skills:
        return "exact", candidate.skills[uri], None
    best: tuple[str, int, str | None] = ("none", 0, None)
    for kind, related in (("implied", facts.implied_by), ("sibling", facts.siblings)):
        held = sorted(
            (u for u in related.get(uri, ()) if u in candidate.skills),
            key=lambda u: (-candidate.skills[u], u),
        )
        if held:
            return kind, candidate.skills[held[0]], held[0]
    return best


def rarity(uri: str, facts: Facts) -> float:
    """An idf-like weight >= 1: the fewer members hold a concept, the more it counts."""
    holders = facts.holders.get(uri, 0)
    return 1.0 + math.log((facts.population + 1) / (holders + 1)) if facts.population else 1.0


def level_factor(have: int, want: int) -> float:
    """1.0 at or above the wanted level, a quarter less for each level short (at least 0.25)."""
    return 1.0 if have >= want else max(0.25, 1.0 - 0.25 * (want - have))


_FACTOR = {"exact": EXACT, "implied": IMPLIED, "sibling": SIBLING, "none": 0.0}


def skills_fit(need: Need, candidate: Candidate, facts: Facts) -> Fit:
    """Rarity-weighted mean of each wanted concept's match (kind × level); and its parts."""
    total = weight_sum = 0.0
    parts: list[dict[str, Any]] = []
    for wanted, weight in need.wanted():
        kind, level, via = skill_match(wanted.uri, candidate, facts)
        w = weight * rarity(wanted.uri, facts)
        weight_sum += w
        if kind == "none":
            continue
        total += w * _FACTOR[kind] * level_factor(level, wanted.level)
        part: dict[str, Any] = {"kind": "skill", "uri": wanted.uri, "match": kind, "level": level}
        if via is not None:
            part["via"] = via
        parts.append(part)
    return (total / weight_sum if weight_sum else 0.0), parts


# ---------------------------------------------------------------- languages


def cefr_rank(level: str) -> int:
    """A1 → 0 … C2 → 5, native → 6; unknown → -1."""
    return CEFR.index(level) if level in CEFR else -1


def languages_fit(need: Need, candidate: Candidate) -> Fit:
    """Mean over required languages: 0.75 at the minimum level, 1.0 two levels above."""
    scores, parts = [], []
    for code, minimum in need.languages:
        have = candidate.languages.get(code)
        if have is None:
            scores.append(0.0)
            continue
        surplus = cefr_rank(have) - cefr_rank(minimum)
        scores.append(0.0 if surplus < 0 else min(1.0, 0.75 + 0.125 * surplus))
        parts.append({"kind": "language", "language": code, "level": have})
    return (sum(scores) / len(scores) if scores else 0.0), parts


# ---------------------------------------------------------------- availability


def available_days(windows: Sequence[tuple[date, date]], start: date, end: date) -> int:
    """How many days of [start, end] (both included) fall inside the union of the windows."""
    spans = sorted((max(a, start), min(b, end)) for a, b in windows if a <= end and b >= start)
    days, reached = 0, start - timedelta(days=1)
    for lo, hi in spans:
        if hi > reached:
            days += (hi - max(lo, reached + timedelta(days=1))).days + 1
            reached = hi
    return days


def availability_fit(need: Need, candidate: Candidate) -> Fit:
    period = need.period()
    if period is None:
        return 0.0, []
    start, end = period
    total = (end - start).days + 1
    days = available_days(candidate.windows, start, end)
    return days / total, [{"kind": "availability", "days": days, "of": total}]


# ---------------------------------------------------------------- place


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance (haversine) between two located places."""
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def place_fit(need: Need, candidate: Candidate) -> Fit | None:
    """Place score and part; None when the member cannot come (a hard filter)."""
    if need.remote:
        return 1.0, [{"kind": "place", "mode": "remote"}]
    where, home = need.place, candidate.place
    if where is None:
        return 0.0, []
    abroad = bool(where.country and home.country and where.country != home.country)
    radius = candidate.travel_radius_km
    radius = DEFAULT_RADIUS_KM if radius is None else radius
    if where.located and home.located:
        km = distance_km(where, home)
        if km <= radius and (not abroad or candidate.cross_border):
            fit = 1.0 - 0.5 * km / radius if radius else 1.0
            return fit, [{"kind": "place", "mode": "distance", "km": round(km)}]
    elif not abroad or candidate.cross_border:
        shown = [{"kind": "place", "mode": "country", "country": home.country}]
        return UNKNOWN_DISTANCE, shown if home.country else []
    if candidate.remote_ok:
        return REMOTE_FROM_AFAR, [{"kind": "place", "mode": "remote_ok"}]
    return None


# ---------------------------------------------------------------- text


def words(text: str) -> set[str]:
    """Folded words of a text (HTML tags dropped), at least MIN_WORD letters long."""
    return {w for w in _WORDS.findall(fold(_TAGS.sub(" ", text))) if len(w) >= MIN_WORD}


def text_fit(need: Need, candidate: Candidate) -> Fit:
    """Share of the need's words found in the candidate's text (at most ten words count)."""
    wanted = words(need.text)
    if not wanted:
        return 0.0, []
    shared = sorted(wanted & words(candidate.text))
    fit = min(1.0, len(shared) / min(len(wanted), 10))
    return fit, ([{"kind": "text", "words": shared[:5]}] if shared else [])


# ---------------------------------------------------------------- filters and score


def passes_filters(need: Need, candidate: Candidate, facts: Facts) -> bool:
    """Hard filters: each required skill held exactly or implied by a held occupation (a
    sibling does not do), each required language at its minimum, some availability in the
    period, and a place the member reaches (or remote)."""
    for wanted in need.required:
        if skill_match(wanted.uri, candidate, facts)[0] not in ("exact", "implied"):
            return False
    for code, minimum in need.languages:
        if cefr_rank(candidate.languages.get(code, "")) < cefr_rank(minimum):
            return False
    period = need.period()
    if period is not None and not available_days(candidate.windows, *period):
        return False
    return place_fit(need, candidate) is not None


def _fits(need: Need, candidate: Candidate, facts: Facts) -> list[tuple[str, Fit]]:
    """The components the need asks about, in explanation order."""
    fits: list[tuple[str, Fit]] = []
    if need.wanted():
        fits.append(("skills", skills_fit(need, candidate, facts)))
    if need.languages:
        fits.append(("languages", languages_fit(need, candidate)))
    if need.period() is not None:
        fits.append(("availability", availability_fit(need, candidate)))
    if need.remote or need.place is not None:
        fits.append(("place", place_fit(need, candidate) or (0.0, [])))
    if words(need.text):
        fits.append(("text", text_fit(need, candidate)))
    return fits


def score(need: Need, candidate: Candidate, facts: Facts) -> Match | None:
    """The candidate's match, or None when a hard filter leaves them out."""
    if not passes_filters(need, candidate, facts):
        return None
    components: dict[str, float] = {}
    parts: list[dict[str, Any]] = []
    for name, fit in _fits(need, candidate, facts):
        components[name], found = fit
        parts += found
    weight = sum(WEIGHTS[name] for name in components)
    total = sum(WEIGHTS[name] * value for name, value in components.items())
    value = min(1.0, max(0.0, total / weight)) if weight else 0.0
    return Match(candidate, round(value, 4), components, parts)
