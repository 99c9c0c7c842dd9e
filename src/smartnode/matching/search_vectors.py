"""The semantic half of search (docs/search.md): cosine similarity between the query's
embedding and the stored embeddings of the documents that pass the filters.

The vectors sit behind `VectorStore`; `MemoryVectorStore` keeps them in a NumPy matrix, one per
process, refreshed incrementally: each search asks the database which candidates have an
embedding and of which text, and loads only the vectors it lacks or holds for an older text.
So it never scores a document the filters (or a withdrawn opt-in) leave out.
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.matching.embedder import Embedder, Vector, from_blob, shared_embedder
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument, SearchEmbedding

#: Candidates a search compares (newest first), neighbours it keeps, and the least cosine
#: similarity a neighbour needs (e5 puts unrelated texts around 0.75-0.8).
CANDIDATES = 20_000
NEIGHBOURS = 20
FLOOR = 0.8
_LOAD = 500
_QUERIES = 256


class VectorStore(Protocol):
    """Vectors by document id, each tagged with the hash of the text it was computed from."""

    def missing(self, wanted: Mapping[int, str]) -> list[int]:
        """Ids whose vector is absent or computed from another text than `wanted` says."""
        ...

    def put(self, doc_id: int, text_hash: str, vector: Vector) -> None: ...

    def retain(self, ids: Iterable[int]) -> None:
        """Forget every vector but those of `ids` (documents that left the index)."""
        ...

    def search(self, query: Vector, ids: Iterable[int], k: int) -> list[tuple[int, float]]:
        """The k ids (of `ids`) most similar to `query`, with their cosine, best first."""
        ...


class MemoryVectorStore:
    """Brute force over a NumPy matrix of unit vectors (rows reused as vectors are replaced)."""

    def __init__(self) -> None:
        self.rows: dict[int, int] = {}
        self.hashes: dict[int, str] = {}
        self.matrix: np.ndarray = np.zeros((0, 0), dtype=np.float32)

    def missing(self, wanted: Mapping[int, str]) -> list[int]:
        return [i for i, h in wanted.items() if self.hashes.get(i) != h]

    def put(self, doc_id: int, text_hash: str, vector: Vector) -> None:
        if self.matrix.shape[1] != vector.size:  # first vector, or another model's size
            self.rows, self.hashes = {}, {}
            self.matrix = np.zeros((64, vector.size), dtype=np.float32)
        row = self.rows.get(doc_id, len(self.rows))
        if row >= len(self.matrix):
            grown = np.zeros((2 * len(self.matrix), vector.size), dtype=np.float32)
            grown[: len(self.matrix)] = self.matrix
            self.matrix = grown
        self.matrix[row] = vector
        self.rows[doc_id], self.hashes[doc_id] = row, text_hash

    def retain(self, ids: Iterable[int]) -> None:
        keep = [i for i in dict.fromkeys(ids) if i in self.rows]
        if len(keep) == len(self.rows):
            return
        matrix = self.matrix[[self.rows[i] for i in keep]] if keep else self.matrix[:0]
        hashes = {i: self.hashes[i] for i in keep}
        self.rows, self.hashes = {}, {}
        self.matrix = np.zeros((max(64, len(keep)), matrix.shape[1]), dtype=np.float32)
        for i, vector in zip(keep, matrix, strict=True):
            self.put(i, hashes[i], vector)

    def search(self, query: Vector, ids: Iterable[int], k: int) -> list[tuple[int, float]]:
        known = [i for i in ids if i in self.rows]
        if not known or k < 1 or query.size != self.matrix.shape[1]:
            return []
        scores = self.matrix[[self.rows[i] for i in known]] @ query
        top = np.argsort(-scores, kind="stable")[:k]
        return [(known[j], float(scores[j])) for j in top]


@dataclass(slots=True)
class SemanticSearch:
    """The model and the process's vectors; what `search` needs to rank by meaning."""

    embedder: Embedder
    store: VectorStore = field(default_factory=MemoryVectorStore)
    queries: OrderedDict[str, Vector] = field(default_factory=OrderedDict)

    async def query_vector(self, q: str) -> Vector:
        """The query's embedding (the last few are kept: a next page asks again)."""
        if (vector := self.queries.get(q)) is None:
            vector = await asyncio.to_thread(self.embedder.query, q)
            self.queries[q] = vector
            if len(self.queries) > _QUERIES:
                self.queries.popitem(last=False)
        self.queries.move_to_end(q)
        return vector

    async def refresh(self, session: AsyncSession, wanted: Mapping[int, str]) -> None:
        """Load the vectors of `wanted` that the store lacks or holds for another text."""
        embeddings = table(SearchEmbedding)
        missing = self.store.missing(wanted)
        for start in range(0, len(missing), _LOAD):
            chunk = missing[start : start + _LOAD]
            rows = await session.execute(
                select(embeddings.c.doc_id, embeddings.c.text_hash, embeddings.c.vector).where(
                    embeddings.c.doc_id.in_(chunk), embeddings.c.model == self.embedder.name
                )
            )
            for doc_id, text_hash, blob in rows:
                self.store.put(doc_id, text_hash, from_blob(blob))

    async def matches(
        self, session: AsyncSession, q: str, conds: list[ColumnElement[bool]]
    ) -> dict[int, float]:
        """Document id → cosine, for the nearest documents passing `conds` (above FLOOR)."""
        docs, embeddings = table(SearchDocument), table(SearchEmbedding)
        rows = await session.execute(
            select(docs.c.id, embeddings.c.text_hash)
            .join(embeddings, embeddings.c.doc_id == docs.c.id)
            .where(embeddings.c.model == self.embedder.name, *conds)
            .order_by(docs.c.updated_at.desc(), docs.c.id.desc())
            .limit(CANDIDATES)
        )
        wanted = {doc_id: text_hash for doc_id, text_hash in rows}
        if not conds and len(wanted) < CANDIDATES:  # every embedding there is: drop the others
            self.store.retain(wanted)
        if not wanted or not q.strip():
            return {}
        await self.refresh(session, wanted)
        query = await self.query_vector(q)
        return {i: s for i, s in self.store.search(query, wanted, NEIGHBOURS) if s >= FLOOR}


@functools.cache
def shared_semantic(enabled: bool) -> SemanticSearch | None:
    """The process's semantic search, or None when switched off or the model is missing."""
    embedder = shared_embedder(enabled)
    return SemanticSearch(embedder) if embedder is not None else None
