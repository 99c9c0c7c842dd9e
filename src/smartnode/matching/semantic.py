"""The semantic part of match ranking (docs/matching.md): how close each candidate's description
is to the need's, across languages, from the embeddings search already stores.

Stored vectors only. The need's text is embedded once as a query (`SemanticSearch.query_vector`
keeps the last few); a candidate's vector is the one the worker stored for their member document
(only members who opted in to be indexed have one), loaded into the process's store with
`refresh`. A candidate without a stored vector gets no semantic part and is never embedded here.
The explained score stays the one shown: the similarity nudges the order and shows as its own
line (rank.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.matching.embedder import MAX_TEXT
from smartnode.matching.rank import Similar, ordered, scored, shortlist
from smartnode.matching.score import Candidate, Facts, Match, Need
from smartnode.matching.search_docs import plain
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument, SearchEmbedding


async def _stored(
    session: AsyncSession, semantic: SemanticSearch, members: Sequence[int]
) -> dict[int, tuple[int, str]]:
    """Document id → (member id, text hash) of the members' documents (our members' actor
    documents: looked up by (source, ref), the unique index) that have a stored embedding of
    the current model."""
    docs, embeddings = table(SearchDocument), table(SearchEmbedding)
    rows = await session.execute(
        select(docs.c.id, docs.c.ref, embeddings.c.text_hash)
        .join(embeddings, embeddings.c.doc_id == docs.c.id)
        .where(docs.c.source == "actor", docs.c.ref.in_(sorted(set(members))))
        .where(embeddings.c.model == semantic.embedder.name)
    )
    return {doc_id: (ref, text_hash) for doc_id, ref, text_hash in rows}


async def similar(
    session: AsyncSession, semantic: SemanticSearch, text: str, members: Sequence[int]
) -> Similar | None:
    """The cosines of the members' stored descriptions with `text`; None when none of them has
    one (the text is embedded only if one does)."""
    query_text = plain(text)[:MAX_TEXT]
    if not query_text or not members:
        return None
    stored = await _stored(session, semantic, members)
    if not stored:
        return None
    await semantic.refresh(session, {doc_id: hashed for doc_id, (_, hashed) in stored.items()})
    query = await semantic.query_vector(query_text)
    found = semantic.store.search(query, stored, len(stored))
    return Similar.of({stored[doc_id][0]: cosine for doc_id, cosine in found})


async def ranked(
    session: AsyncSession, need: Need, candidates: Sequence[Candidate], facts: Facts, *,
    limit: int, threshold: float = 0.0, semantic: SemanticSearch | None,
) -> list[Match]:  # fmt: skip
    """`rank`, with the stored descriptions of the best-scored candidates compared with the
    need's text when semantic search is on (`semantic`; None: the explained order alone)."""
    best = shortlist(scored(need, candidates, facts, threshold=threshold), limit)
    members = [m.candidate.member_id for m in best]
    near = await similar(session, semantic, need.text, members) if semantic else None
    return ordered(best, limit, near)
