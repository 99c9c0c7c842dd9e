"""The semantic half of search (docs/search.md): cosine similarity between the query's
embedding and the stored embeddings of the documents that pass the filters.

The vectors sit behind `VectorStore`; `MemoryVectorStore` keeps every embedding of the current
model in a NumPy matrix, one per process, kept in step incrementally: each search first reads
the embeddings written since its last look (an index on `embedded_at`), and every few minutes
all of their ids and text hashes, forgetting the vectors of documents that left. A search
scores the whole matrix, then asks the database which of the nearest pass the filters and still
have the text their vector was computed from; when filters leave too few of them, it scores
only the documents that pass the filters. So it never returns a document the filters (or a
withdrawn opt-in) leave out, and its cost grows with the matrix product, not with reading rows.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.matching.embedder import Embedder, Vector, from_blob, shared_embedder
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument, SearchEmbedding

#: Neighbours a search keeps, and the least cosine similarity a neighbour needs (e5 puts
#: unrelated texts around 0.75-0.8).
NEIGHBOURS = 20
FLOOR = 0.8
#: The nearest documents of the whole store checked against the filters at once.
SHORTLIST = 400
#: Candidates scored when the filters leave too few of the shortlist (newest first).
CANDIDATES = 100_000
#: Embeddings written this long before the newest one seen are read again (a transaction that
#: committed late), and all ids are read again this often (documents that left the index).
LATE_COMMIT = timedelta(seconds=60)
FULL_SYNC_SECONDS = 300.0
_LOAD = 500
_QUERIES = 256


class VectorStore(Protocol):
    """Vectors by document id, each tagged with the hash of the text it was computed from."""

    hashes: dict[int, str]

    def missing(self, wanted: Mapping[int, str]) -> list[int]:
        """Ids whose vector is absent or computed from another text than `wanted` says."""
        ...

    def put(self, doc_id: int, text_hash: str, vector: Vector) -> None: ...

    def retain(self, ids: Iterable[int]) -> None:
        """Forget every vector but those of `ids` (documents that left the index)."""
        ...

    def drop(self, ids: Iterable[int]) -> None:
        """Forget the vectors of `ids` (found stale)."""
        ...

    def nearest(self, query: Vector, k: int, floor: float) -> list[tuple[int, float]]:
        """The k ids of the whole store most similar to `query` (at least `floor`), best first."""
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
        self.ids: np.ndarray = np.zeros(0, dtype=np.int64)  # row → document id

    def missing(self, wanted: Mapping[int, str]) -> list[int]:
        return [i for i, h in wanted.items() if self.hashes.get(i) != h]

    def put(self, doc_id: int, text_hash: str, vector: Vector) -> None:
        if self.matrix.shape[1] != vector.size:  # first vector, or another model's size
            self.rows, self.hashes = {}, {}
            self.matrix = np.zeros((64, vector.size), dtype=np.float32)
            self.ids = np.zeros(64, dtype=np.int64)
        row = self.rows.get(doc_id, len(self.rows))
        if row >= len(self.matrix):
            grown = np.zeros((2 * len(self.matrix), vector.size), dtype=np.float32)
            grown[: len(self.matrix)] = self.matrix
            self.matrix = grown
            self.ids = np.concatenate([self.ids, np.zeros(len(self.ids), dtype=np.int64)])
        self.matrix[row] = vector
        self.ids[row] = doc_id
        self.rows[doc_id], self.hashes[doc_id] = row, text_hash

    def retain(self, ids: Iterable[int]) -> None:
        keep = [i for i in dict.fromkeys(ids) if i in self.rows]
        if len(keep) == len(self.rows):
            return
        matrix = self.matrix[[self.rows[i] for i in keep]] if keep else self.matrix[:0]
        hashes = {i: self.hashes[i] for i in keep}
        self.rows, self.hashes = {}, {}
        self.matrix = np.zeros((max(64, len(keep)), matrix.shape[1]), dtype=np.float32)
        self.ids = np.zeros(len(self.matrix), dtype=np.int64)
        for i, vector in zip(keep, matrix, strict=True):
            self.put(i, hashes[i], vector)

    def drop(self, ids: Iterable[int]) -> None:
        for doc_id in ids:
            row = self.rows.pop(doc_id, None)
            if row is None:
                continue
            del self.hashes[doc_id]
            last = len(self.rows)  # the last row moves into the freed one
            if row != last:
                moved = int(self.ids[last])
                self.matrix[row], self.ids[row] = self.matrix[last], moved
                self.rows[moved] = row

    def nearest(self, query: Vector, k: int, floor: float) -> list[tuple[int, float]]:
        count = len(self.rows)
        if not count or k < 1 or query.size != self.matrix.shape[1]:
            return []
        scores = self.matrix[:count] @ query
        top = np.argpartition(-scores, k - 1)[:k] if k < count else np.arange(count)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[j]), float(scores[j])) for j in top if scores[j] >= floor]

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
    #: The newest `embedded_at` read, when every id was last read (monotonic seconds), and
    #: from which engine (a process that changes databases, as tests do, starts over).
    newest: datetime | None = None
    full_sync_at: float | None = None
    bind: object | None = None
    #: The embeddings' count and newest time at the last look.
    seen: tuple[int, datetime | None] | None = None

    async def query_vector(self, q: str) -> Vector:
        """The query's embedding (the last few are kept: a next page asks again)."""
        if (vector := self.queries.get(q)) is None:
            vector = await asyncio.to_thread(self.embedder.query, q)
            self.queries[q] = vector
            if len(self.queries) > _QUERIES:
                self.queries.popitem(last=False)
        self.queries.move_to_end(q)
        return vector

    async def sync(self, session: AsyncSession) -> None:
        """Bring the store in step with the database: nothing to read while the embeddings'
        count and newest time stay the same; else those written since the last look (all of
        them, forgetting the others, on the first look and every few minutes)."""
        embeddings = table(SearchEmbedding)
        mine = embeddings.c.model == self.embedder.name
        moment = time.monotonic()
        full = self.full_sync_at is None or moment - self.full_sync_at > FULL_SYNC_SECONDS
        if (bind := session.get_bind()) is not self.bind:
            self.bind, self.newest, self.seen, full = bind, None, None, True
        stamp = (await session.execute(
            select(func.count(), func.max(embeddings.c.embedded_at)).where(mine)
        )).one()  # fmt: skip
        seen = (int(stamp[0]), stamp[1])
        if not full and seen == self.seen:
            return
        query = select(embeddings.c.doc_id, embeddings.c.text_hash).where(mine)
        if not full and self.newest is not None:
            query = query.where(embeddings.c.embedded_at >= self.newest - LATE_COMMIT)
        wanted = {doc_id: text_hash for doc_id, text_hash in await session.execute(query)}
        if full:
            self.store.retain(wanted)
            self.full_sync_at = moment
        await self.refresh(session, wanted)
        self.seen, self.newest = seen, seen[1]

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
        if not q.strip():
            return {}
        await self.sync(session)
        query = await self.query_vector(q)
        shortlist = self.store.nearest(query, SHORTLIST, FLOOR)
        passing = await self._passing(session, [i for i, _ in shortlist], conds)
        kept = [(i, s) for i, s in shortlist if i in passing][:NEIGHBOURS]
        if len(kept) < NEIGHBOURS and len(shortlist) == SHORTLIST:
            kept = await self._among_passing(session, query, conds)
        return {i: s for i, s in kept if s >= FLOOR}

    async def _passing(
        self, session: AsyncSession, ids: list[int], conds: list[ColumnElement[bool]]
    ) -> set[int]:
        """Those of `ids` that pass `conds` with the text their held vector was made from; the
        vectors of documents that left the index or changed their text are forgotten."""
        if not ids:
            return set()
        docs, embeddings = table(SearchDocument), table(SearchEmbedding)
        passes = and_(true(), *conds).label("passes")
        rows = await session.execute(
            select(docs.c.id, embeddings.c.text_hash, passes)
            .join(embeddings, embeddings.c.doc_id == docs.c.id)
            .where(docs.c.id.in_(ids), embeddings.c.model == self.embedder.name)
        )
        current, passing = set(), set()
        for doc_id, text_hash, ok in rows:
            if self.store.hashes.get(doc_id) == text_hash:
                current.add(doc_id)
                if ok:
                    passing.add(doc_id)
        self.store.drop(i for i in ids if i not in current)
        return passing

    async def _among_passing(
        self, session: AsyncSession, query: Vector, conds: list[ColumnElement[bool]]
    ) -> list[tuple[int, float]]:
        """The nearest of the documents passing `conds` (selective filters: few of them)."""
        docs, embeddings = table(SearchDocument), table(SearchEmbedding)
        rows = await session.execute(
            select(docs.c.id, embeddings.c.text_hash)
            .join(embeddings, embeddings.c.doc_id == docs.c.id)
            .where(embeddings.c.model == self.embedder.name, *conds)
            .order_by(docs.c.updated_at.desc(), docs.c.id.desc())
            .limit(CANDIDATES)
        )
        wanted = {doc_id: text_hash for doc_id, text_hash in rows}
        await self.refresh(session, wanted)
        return self.store.search(query, wanted, NEIGHBOURS)


@functools.cache
def shared_semantic(enabled: bool) -> SemanticSearch | None:
    """The process's semantic search, or None when switched off or the model is missing."""
    embedder = shared_embedder(enabled)
    return SemanticSearch(embedder) if embedder is not None else None
