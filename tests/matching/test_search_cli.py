"""`smartnode reindex` rebuilds the search index from the rows (after writes the listener did
not see, like a bulk import); `smartnode search` finds every kind."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, select

from smartnode.storage.db import Database
from smartnode.storage.models_search import SearchDocument, SearchEmbedding
from tests.conftest import make_member, make_project, query
from tests.content import make_post
from tests.matching.search_arrange import publish_event


def test_reindex_rebuilds_the_index(smartnode, settings, database_url) -> None:
    async def arrange() -> None:
        db = Database(settings)
        try:
            await make_member(db, settings, "astrid", discoverable=True, indexable=True)
            await make_member(db, settings, "shy", discoverable=True)
            await make_project(db, settings, "Malmö Opera", "astrid")
            async with db.session() as s, s.begin():
                await s.execute(delete(SearchDocument))
        finally:
            await db.dispose()

    asyncio.run(arrange())
    assert query(database_url, select(SearchDocument.uri)) == []
    result = smartnode("reindex")
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt: 2 documents." in result.output
    rows = query(database_url, select(SearchDocument.kind, SearchDocument.uri))
    assert sorted(rows) == [
        ("member", "https://se.smart.test/members/astrid"),
        ("project", "https://se.smart.test/projects/malmo-opera"),
    ]


def test_reindex_embeds_and_search_finds_across_languages(
    smartnode, settings, database_url
) -> None:
    async def arrange() -> None:
        db = Database(settings)
        try:
            await make_member(db, settings, "astrid", discoverable=True, indexable=True,
                              summary="Ljudtekniker som mixar livekonserter.")  # fmt: skip
            await make_member(db, settings, "shy", discoverable=True, summary="Tontechniker.")
        finally:
            await db.dispose()

    asyncio.run(arrange())
    result = smartnode("reindex")
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt: 1 documents." in result.output
    assert "Embeddings computed: 1." in result.output
    stored = query(database_url, select(SearchDocument.uri).join(
        SearchEmbedding, SearchEmbedding.doc_id == SearchDocument.id))  # fmt: skip
    assert stored == [("https://se.smart.test/members/astrid",)]
    embedded = query(database_url, select(SearchEmbedding.embedded_at))

    found = smartnode("search", "sound engineer for concerts")
    assert found.exit_code == 0, found.output
    lines = found.output.splitlines()
    assert lines[0].split() == ["member", "https://se.smart.test/members/astrid", "Astrid"]
    assert lines[1] == "1 found."  # by meaning: no word of the query is in her bio
    again = smartnode("reindex")  # the text did not change: its embedding stays
    assert "Embeddings computed: 0." in again.output
    assert query(database_url, select(SearchEmbedding.embedded_at)) == embedded
    forced = smartnode("reindex", "--embeddings")
    assert "Embeddings computed: 1." in forced.output
    refused = smartnode("search", "x" * 201)
    assert refused.exit_code != 0 and "at most 200 characters" in refused.output


def test_reindex_and_search_events_and_posts(smartnode, settings, database_url) -> None:
    async def arrange() -> tuple[str, str]:
        db = Database(settings)
        try:
            anna = await make_member(db, settings, "anna", language="sv", indexable=True)
            post = await make_post(db, settings, anna, content="Zorblax på turné.")
            event = await publish_event(db, settings, anna, content="Zorblax spelar.")
            async with db.session() as s, s.begin():
                await s.execute(delete(SearchDocument))
        finally:
            await db.dispose()
        return post.uri, event.uri

    post, event = asyncio.run(arrange())
    result = smartnode("reindex")
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt: 2 documents." in result.output
    found = smartnode("search", "zorblax", "--kind", "event")
    assert found.exit_code == 0, found.output
    assert [line.split() for line in found.output.splitlines()] == [
        ["event", event, "Nyårsjazz"], ["1", "found."]]  # fmt: skip
    found = smartnode("search", "zorblax", "--kind", "post", "--kind", "event")
    assert sorted(line.split() for line in found.output.splitlines()[:2]) == [
        ["event", event, "Nyårsjazz"], ["post", post, "Zorblax", "på", "turné."]]  # fmt: skip
    refused = smartnode("search", "zorblax", "--kind", "robot")
    assert refused.exit_code != 0 and "event, post" in refused.output
