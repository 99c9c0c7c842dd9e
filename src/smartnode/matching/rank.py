"""Ranking matches with a diversity re-rank (pure): MMR over the best-scored, so that one node
or one sector does not fill the list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from smartnode.matching.score import Candidate, Facts, Match, Need, score

#: How much redundancy with what is already picked costs (0: plain score order).
DIVERSITY = 0.2
#: The re-rank looks at this many times `limit` of the best scores.
WINDOW = 10
#: A reorder pass sees this many times `limit` of the diversified matches.
REORDER_WINDOW = 3


def similarity(a: Candidate, b: Candidate) -> float:
    """0-1: half for the same node, half for the share of sectors in common (Jaccard)."""
    same_node = 0.5 if a.node and a.node == b.node else 0.0
    union = set(a.sectors) | set(b.sectors)
    shared = len(set(a.sectors) & set(b.sectors)) / len(union) if union else 0.0
    return same_node + 0.5 * shared


def diversify(matches: Sequence[Match], limit: int, *, diversity: float = DIVERSITY) -> list[Match]:
    """Maximal marginal relevance: each pick trades score against likeness to earlier picks."""
    pool = sorted(matches, key=lambda m: (-m.score, m.candidate.member_id))[: limit * WINDOW]
    picked: list[Match] = []
    while pool and len(picked) < limit:

        def value(m: Match) -> float:
            alike = max((similarity(m.candidate, p.candidate) for p in picked), default=0.0)
            return (1 - diversity) * m.score - diversity * alike

        best = max(pool, key=lambda m: (value(m), m.score, -m.candidate.member_id))
        picked.append(best)
        pool.remove(best)
    return picked


class Reorder(Protocol):
    """An optional last pass over the ranked matches (the semantic re-rank)."""

    def __call__(self, need_text: str, matches: list[Match]) -> list[Match]: ...


def rank(
    need: Need,
    candidates: Iterable[Candidate],
    facts: Facts,
    *,
    limit: int = 20,
    threshold: float = 0.0,
    diversity: float = DIVERSITY,
    reorder: Reorder | None = None,
) -> list[Match]:
    """The best `limit` candidates passing the hard filters with a score >= threshold; a
    `reorder` pass (if any) reorders a wider shortlist before it is cut to `limit`."""
    found = [m for m in (score(need, c, facts) for c in candidates) if m is not None]
    kept = [m for m in found if m.score >= threshold]
    if reorder is None:
        return diversify(kept, limit, diversity=diversity)
    shortlist = diversify(kept, limit * REORDER_WINDOW, diversity=diversity)
    return reorder(need.text, shortlist)[:limit]
