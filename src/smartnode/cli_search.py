"""`smartnode reindex`: rebuild the search index and its embeddings; `smartnode search`: the
same search as the pages and the API, from the command line (docs/search.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import delete

from smartnode.actors.node import get_node_actor, node_signer
from smartnode.cli_support import database_session, now, out, run
from smartnode.config import Settings
from smartnode.errors import SmartnodeError
from smartnode.federation.fetch import Fetcher
from smartnode.matching.directory import Asking, PeerAnswers, federated_search
from smartnode.matching.embedder import shared_embedder
from smartnode.matching.search import Filters, SearchPage, search
from smartnode.matching.search_embed import embed_all
from smartnode.matching.search_index import reindex_all
from smartnode.matching.search_vectors import shared_semantic
from smartnode.storage.db import Database
from smartnode.storage.models_search import SearchEmbedding


def reindex_command(
    embeddings: Annotated[
        bool, typer.Option("--embeddings", help="Recompute every embedding, not only new texts'.")
    ] = False,
) -> None:
    """Rebuild the search index from members, projects, calls, events and posts (after
    `import-esco`, or after writes made outside the application), then embed the documents
    whose text is new (unless SMARTNODE_SEMANTIC_SEARCH is off); searches keep working
    meanwhile."""

    async def work(settings: Settings) -> tuple[int, int]:
        db = Database(settings)
        try:
            async with db.session() as session, session.begin():
                if embeddings:
                    await session.execute(delete(SearchEmbedding))
                count = await reindex_all(session)
            embedder = shared_embedder(settings.semantic_search)
            embedded = await embed_all(db, embedder, now()) if embedder else 0
        finally:
            await db.dispose()
        return count, embedded

    count, embedded = run(work)
    out().print(f"Search index rebuilt: {count} documents.")
    out().print(f"Embeddings computed: {embedded}.")


def search_command(
    query: Annotated[str, typer.Argument(help="Words to look for, in any language.")],
    kind: Annotated[
        list[str] | None, typer.Option(help="member, project, call, event or post.")
    ] = None,
    language: Annotated[str, typer.Option(help="Your language (stemming).")] = "en",
    limit: Annotated[int, typer.Option(min=1, max=50)] = 20,
    peers: Annotated[
        bool, typer.Option("--peers", help="Also ask the trusted peer nodes for their members.")
    ] = False,
) -> None:
    """Search members, projects, calls, events and posts as the search page does (one line a
    result: kind, URI, name, and the node it came from with --peers)."""

    async def work(settings: Settings) -> tuple[SearchPage, PeerAnswers | None]:
        semantic = shared_semantic(settings.semantic_search)
        filters = Filters(kinds=kind or ())
        async with database_session(settings) as session:
            if not peers:
                page = await search(session, query, filters, viewer_language=language,
                                    limit=limit, semantic=semantic)  # fmt: skip
                return page, None
            node = await get_node_actor(session)
            if node is None:
                raise SmartnodeError("this node has no node actor yet: run `smartnode serve`")
            async with Fetcher(settings) as fetcher:
                asking = Asking(fetcher, node_signer(node, settings), settings.directory_deadline)
                return await federated_search(
                    session, asking, query, filters, language=language, limit=limit,
                    semantic=semantic,
                )  # fmt: skip

    page, answers = run(work)
    for hit in page.hits:
        origin = f"\t{hit.origin or 'here'}" if answers else ""
        out().print(f"{hit.kind}\t{hit.uri}\t{hit.title}{origin}", markup=False, highlight=False)
    out().print(f"{page.total} found.")
    if answers and answers.left_out:
        out().print(f"Left out (no answer in time): {', '.join(answers.left_out)}.")


def add_search_commands(app: typer.Typer) -> None:
    """Register `reindex` and `search` on the `smartnode` command."""
    app.command("reindex")(reindex_command)
    app.command("search")(search_command)
