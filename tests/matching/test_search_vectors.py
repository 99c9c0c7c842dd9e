"""The process's vector store at scale: the whole matrix is scored and the nearest are checked
against the filters; embeddings written since the last look are read, late commits included;
stale vectors are forgotten when met; selective filters still find their matches."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update

from smartnode.matching import search_vectors
from smartnode.matching.search import Filters, search
from smartnode.matching.search_embed import embed_all
from smartnode.matching.search_vectors import MemoryVectorStore
from smartnode.storage.models_search import SearchDocument, SearchEmbedding
from tests.conftest import make_member, make_project
from tests.inbox import NOW
from tests.matching.test_search_crosslang import OPTED_IN, model


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_the_store_keeps_ids_and_rows_together_as_vectors_leave() -> None:
    store = MemoryVectorStore()
    for doc_id, vector in ((1, unit(1, 0)), (2, unit(0, 1)), (3, unit(1, 1)), (4, unit(1, 0.1))):
        store.put(doc_id, f"h{doc_id}", vector)
    assert [i for i, _ in store.nearest(unit(1, 0), 2, 0.0)] == [1, 4]
    store.drop([1, 99])  # the last row moves into the freed one; an unknown id is ignored
    assert set(store.rows) == {2, 3, 4} and sorted(store.rows.values()) == [0, 1, 2]
    assert [i for i, _ in store.nearest(unit(1, 0), 3, 0.0)] == [4, 3, 2]
    assert [i for i, _ in store.nearest(unit(1, 0), 3, 0.8)] == [4]  # the floor holds
    store.put(5, "h5", unit(-1, 0))  # appended after the moved rows
    assert store.nearest(unit(-1, 0), 1, 0.0)[0][0] == 5
    assert store.search(unit(0, 1), [3, 5, 42], 5)[0][0] == 3  # only the ids asked for


async def test_embeddings_written_after_the_first_search_are_found_late_commits_too(
    db, settings
) -> None:
    semantic = model()
    anna = await make_member(db, settings, "anna", summary="Ljudtekniker.", **OPTED_IN)
    assert await embed_all(db, semantic.embedder, NOW) == 1
    async with db.session() as s:
        assert [h.uri for h in (await search(s, "sound engineer", semantic=semantic)).hits] == [
            anna.uri
        ]
    assert semantic.newest == NOW
    # A second text embedded by a transaction that started earlier and committed later.
    bo = await make_member(db, settings, "bo", summary="Tonmeisterin für Konzerte.", **OPTED_IN)
    assert await embed_all(db, semantic.embedder, NOW - timedelta(seconds=30)) == 1
    async with db.session() as s:
        found = {h.uri for h in (await search(s, "sound engineer", semantic=semantic)).hits}
    assert found == {anna.uri, bo.uri}
    assert set(semantic.store.hashes) == set((await _embedded(db)).values())


async def test_a_document_that_left_or_changed_is_never_returned_and_its_vector_goes(
    db, settings
) -> None:
    semantic = model()
    anna = await make_member(db, settings, "anna", summary="Ljudtekniker.", **OPTED_IN)
    bo = await make_member(db, settings, "bo", summary="Tonmeisterin für Konzerte.", **OPTED_IN)
    assert await embed_all(db, semantic.embedder, NOW) == 2
    async with db.session() as s:
        assert len((await search(s, "sound engineer", semantic=semantic)).hits) == 2
    ids = await _embedded(db)
    async with db.session() as s, s.begin():  # another process re-embedded bo's text long ago
        await s.execute(
            update(SearchEmbedding)
            .where(SearchEmbedding.doc_id == ids[bo.uri])
            .values(text_hash="0" * 32, embedded_at=NOW - timedelta(days=1))
        )
    async with db.session() as s:
        assert [h.uri for h in (await search(s, "sound engineer", semantic=semantic)).hits] == [
            anna.uri
        ]
    assert ids[bo.uri] not in semantic.store.rows  # met as stale: forgotten


async def test_selective_filters_find_their_matches_beyond_the_shortlist(
    db, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_vectors, "SHORTLIST", 2)  # as if thousands of members were nearer
    semantic = model()
    for name in ("anna", "bo", "cleo"):
        await make_member(db, settings, name, summary="Sound engineer.", **OPTED_IN)
    stage = await make_project(db, settings, "Scen", "anna", summary="Wir suchen Tontechnik.")
    assert await embed_all(db, semantic.embedder, NOW) == 4
    async with db.session() as s:
        page = await search(s, "sound engineer", Filters(kinds=["project"]), semantic=semantic)
    assert [h.uri for h in page.hits] == [stage.uri]


async def _embedded(db) -> dict[str, int]:
    async with db.session() as s:
        rows = await s.execute(
            select(SearchDocument.uri, SearchEmbedding.doc_id).join(
                SearchEmbedding, SearchEmbedding.doc_id == SearchDocument.id
            )
        )
    return {uri: doc_id for uri, doc_id in rows}
