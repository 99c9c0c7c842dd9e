"""Keeping search documents' embeddings (docs/search.md): the worker embeds, in batches, the
documents that have no embedding of the current model; the index drops an embedding when its
document's text changes (search_index.py), and a document that leaves the index takes its
embedding with it (cascade). So each text is embedded once per model, and nothing that is not
in the index (a member who did not opt in) is ever embedded.

The model runs outside any transaction (in a thread); the vectors are written only for
documents whose text is still the one embedded.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.matching.embedder import Embedder, Vector, document_text, text_hash, to_blob
from smartnode.storage.db import Database
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument, SearchEmbedding

#: Documents embedded per batch (one model call, one short transaction).
BATCH = 16


async def pending(session: AsyncSession, model: str, limit: int) -> list[tuple[int, str]]:
    """(document id, text) of documents without an embedding of `model`, oldest first."""
    docs, embeddings = table(SearchDocument), table(SearchEmbedding)
    current = exists().where(embeddings.c.doc_id == docs.c.id, embeddings.c.model == model)
    rows = await session.execute(
        select(docs.c.id, docs.c.title, docs.c.body)
        .where(~current)
        .order_by(docs.c.id)
        .limit(limit)
    )
    return [(doc_id, document_text(title, body)) for doc_id, title, body in rows]


async def store(
    session: AsyncSession,
    model: str,
    embedded: list[tuple[int, str, Vector]],
    now: datetime,
) -> int:
    """Write the vectors of documents whose text is still the one embedded; how many."""
    docs, embeddings = table(SearchDocument), table(SearchEmbedding)
    wanted = {doc_id: text_hash(text) for doc_id, text, _ in embedded}
    rows = await session.execute(
        select(docs.c.id, docs.c.title, docs.c.body)
        .where(docs.c.id.in_(list(wanted)))
        .with_for_update()  # a concurrent removal waits for us (PostgreSQL; SQLite serialises)
    )
    still = {i for i, title, body in rows if wanted[i] == text_hash(document_text(title, body))}
    values = [
        {"doc_id": doc_id, "model": model, "text_hash": wanted[doc_id], "dims": int(vector.size),
         "vector": to_blob(vector), "embedded_at": now}
        for doc_id, _, vector in embedded if doc_id in still
    ]  # fmt: skip
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(embeddings).values(values)
    replace = {c: statement.excluded[c] for c in ("model", "text_hash", "dims", "vector")}
    replace["embedded_at"] = statement.excluded.embedded_at
    await session.execute(
        statement.on_conflict_do_update(index_elements=[embeddings.c.doc_id], set_=replace)
    )
    return len(values)


async def embed_batch(db: Database, embedder: Embedder, now: datetime, limit: int = BATCH) -> int:
    """Embed one batch of pending documents; how many it embedded (0: none was pending)."""
    async with db.session() as session:
        todo = await pending(session, embedder.name, limit)
    if not todo:
        return 0
    vectors = await asyncio.to_thread(embedder.passages, [text for _, text in todo])
    embedded = [(doc_id, text, vectors[i]) for i, (doc_id, text) in enumerate(todo)]
    async with db.session() as session, session.begin():
        await store(session, embedder.name, embedded, now)
    return len(todo)


async def embed_all(db: Database, embedder: Embedder, now: datetime) -> int:
    """Embed every pending document (`smartnode reindex`); how many."""
    total = 0
    while done := await embed_batch(db, embedder, now):
        total += done
    return total
