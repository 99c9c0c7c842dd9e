"""`smartnode reindex`: rebuild the full-text search index (docs/search.md)."""

from __future__ import annotations

import typer

from smartnode.cli_support import database_session, out, run
from smartnode.config import Settings
from smartnode.matching.search_index import reindex_all


def reindex_command() -> None:
    """Rebuild the search index from members, projects and calls (after `import-esco`, or
    after writes made outside the application); searches keep working meanwhile."""

    async def work(settings: Settings) -> int:
        async with database_session(settings) as session, session.begin():
            return await reindex_all(session)

    count = run(work)
    out().print(f"Search index rebuilt: {count} documents.")


def add_search_commands(app: typer.Typer) -> None:
    """Register `reindex` on the `smartnode` command."""
    app.command("reindex")(reindex_command)
