"""Peer-to-peer exchange (pure): members who can teach what I want to learn AND want to learn
what I can teach. Skills match exactly (same ESCO URI); a sibling is not the same lesson."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smartnode.matching.score import cefr_rank

#: A shared working language at this level or above makes an exchange easy.
SHARED_LEVEL = "B1"
#: Score factor when the two share no working language at that level.
NO_SHARED_LANGUAGE = 0.5


@dataclass(frozen=True, slots=True)
class Learner:
    """A member's side of an exchange."""

    member_id: int
    teaches: Mapping[str, int] = field(default_factory=dict)  # concept URI → level
    learns: frozenset[str] = frozenset()
    languages: Mapping[str, str] = field(default_factory=dict)  # code → CEFR


@dataclass(frozen=True, slots=True)
class Exchange:
    """A two-way match: score in [0, 1] and explanation parts."""

    other: Learner
    score: float
    parts: list[dict[str, Any]]


def shared_language(me: Learner, other: Learner) -> str | None:
    """The working language both speak best (at SHARED_LEVEL or above), if any."""
    floor = cefr_rank(SHARED_LEVEL)
    common = [
        (min(cefr_rank(me.languages[c]), cefr_rank(other.languages[c])), c)
        for c in set(me.languages) & set(other.languages)
    ]
    good = sorted((rank, code) for rank, code in common if rank >= floor)
    return good[-1][1] if good else None


def exchange(me: Learner, other: Learner) -> Exchange | None:
    """How well `other` and I can teach each other; None unless it goes both ways."""
    given = sorted(u for u in me.learns if u in other.teaches)
    taken = sorted(u for u in other.learns if u in me.teaches)
    if not given or not taken or other.member_id == me.member_id:
        return None
    coverage = math.sqrt(len(given) / len(me.learns) * len(taken) / len(other.learns))
    level = sum(other.teaches[u] for u in given) / (4 * len(given))
    language = shared_language(me, other)
    value = coverage * (0.75 + 0.25 * level) * (1.0 if language else NO_SHARED_LANGUAGE)
    parts: list[dict[str, Any]] = [
        {"kind": "teaches", "uri": u, "level": other.teaches[u]} for u in given
    ]
    parts += [{"kind": "learns", "uri": u} for u in taken]
    if language:
        parts.append({"kind": "language", "language": language,
                      "level": other.languages[language]})  # fmt: skip
    return Exchange(other, round(min(1.0, value), 4), parts)


def rank_exchanges(me: Learner, others: Iterable[Learner], *, limit: int = 20) -> list[Exchange]:
    """The best two-way matches, highest score first."""
    found = [e for e in (exchange(me, o) for o in others) if e is not None]
    return sorted(found, key=lambda e: (-e.score, e.other.member_id))[:limit]
