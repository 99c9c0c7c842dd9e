"""`smartnode reindex` rebuilds the search index from the rows (after writes the listener did
not see, like a bulk import)."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, select

from smartnode.storage.db import Database
from smartnode.storage.models_search import SearchDocument
from tests.conftest import make_member, make_project, query


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
