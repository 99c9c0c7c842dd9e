"""Ranking matches (pure): MMR over the best-scored, so that one node or one sector does not fill
the list; a description similar to the need's (semantic.py) nudges the order, never the score."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from smartnode.matching.score import Candidate, Facts, Match, Need, score

#: How much redundancy with what is already picked costs (0: plain score order).
DIVERSITY = 0.2
#: The re-rank looks at this many times `limit` of the best scores.
WINDOW = 10
#: A description counts as similar when its cosine with the need's text is at least SIMILAR (what
#: search counts as a match by meaning) and MARGIN above the median of the candidates compared:
#: multilingual-e5 gives any two texts 0.75 to 0.85, and members who hold the same skills carry
#: the same skill labels in their documents, so only the difference between them says something.
SIMILAR, MARGIN = 0.8, 0.02
#: What a full lift (the very same text) adds to a score in the order value.
SEMANTIC_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Similar:
    """Cosines of candidates' stored descriptions with the need's text (member id → cosine),
    and their median."""

    cosines: Mapping[int, float]
    typical: float

    @classmethod
    def of(cls, cosines: Mapping[int, float]) -> Similar:
        """Cosines compared with their median (one alone is compared with nothing: no lift)."""
        return cls(cosines, statistics.median(cosines.values()) if cosines else 1.0)

    def lift(self, member_id: int) -> float:
        """0 unless similar, rising to 1 for the very same text."""
        cosine, floor = self.cosines.get(member_id), max(SIMILAR, self.typical + MARGIN)
        if cosine is None or floor >= 1.0:
            return 0.0
        return min(1.0, max(0.0, (cosine - floor) / (1.0 - floor)))


def similarity(a: Candidate, b: Candidate) -> float:
    """0-1: half for the same node, half for the share of sectors in common (Jaccard)."""
    same_node = 0.5 if a.node and a.node == b.node else 0.0
    union = set(a.sectors) | set(b.sectors)
    shared = len(set(a.sectors) & set(b.sectors)) / len(union) if union else 0.0
    return same_node + 0.5 * shared


def shortlist(matches: Iterable[Match], limit: int) -> list[Match]:
    """The best `limit` × WINDOW by score: all the re-rank (and the semantic part) looks at."""
    return sorted(matches, key=lambda m: (-m.score, m.candidate.member_id))[: limit * WINDOW]


def diversify(
    matches: Sequence[Match], limit: int, *, diversity: float = DIVERSITY,
    similar: Similar | None = None,
) -> list[Match]:  # fmt: skip
    """Maximal marginal relevance: each pick trades its order value (the score, plus the lift of
    a similar description) against likeness to earlier picks."""
    pool = shortlist(matches, limit)

    def order(m: Match) -> float:
        if similar is None:
            return m.score
        return m.score + SEMANTIC_WEIGHT * similar.lift(m.candidate.member_id)

    picked: list[Match] = []
    while pool and len(picked) < limit:

        def value(m: Match) -> float:
            alike = max((similarity(m.candidate, p.candidate) for p in picked), default=0.0)
            return (1 - diversity) * order(m) - diversity * alike

        best = max(pool, key=lambda m: (value(m), m.score, -m.candidate.member_id))
        picked.append(best)
        pool.remove(best)
    return picked


def explained(match: Match, similar: Similar | None) -> Match:
    """The match with its semantic line (a `similar` part) when its description is similar
    (exactly when it lifts the order); score and components stay the explained scoring's."""
    member_id = match.candidate.member_id
    if similar is None or not similar.lift(member_id):
        return match
    part = {"kind": "similar", "similarity": round(similar.cosines[member_id], 2)}
    return dataclasses.replace(match, parts=[*match.parts, part])


def scored(
    need: Need, candidates: Iterable[Candidate], facts: Facts, *, threshold: float = 0.0
) -> list[Match]:
    """The candidates passing the hard filters with a score >= threshold."""
    found = [m for m in (score(need, c, facts) for c in candidates) if m is not None]
    return [m for m in found if m.score >= threshold]


def rank(
    need: Need,
    candidates: Iterable[Candidate],
    facts: Facts,
    *,
    limit: int = 20,
    threshold: float = 0.0,
    diversity: float = DIVERSITY,
    similar: Similar | None = None,
) -> list[Match]:
    """The best `limit` candidates passing the hard filters with a score >= threshold, ordered
    with `similar` descriptions (if any) and explained with them."""
    kept = scored(need, candidates, facts, threshold=threshold)
    return ordered(kept, limit, similar, diversity=diversity)


def ordered(
    matches: Sequence[Match], limit: int, similar: Similar | None, *, diversity: float = DIVERSITY
) -> list[Match]:
    """The diversified best `limit`, ordered with `similar` descriptions and explained with
    them (None: the explained order alone)."""
    picked = diversify(matches, limit, diversity=diversity, similar=similar)
    return [explained(m, similar) for m in picked]
