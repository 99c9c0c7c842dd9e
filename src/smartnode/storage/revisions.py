"""Which Alembic revisions the code has and the database is at (readiness, doctor, the CLI)."""

from __future__ import annotations

from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from smartnode.storage.migrate import alembic_config


@cache
def code_heads(database_url: str) -> frozenset[str]:
    """The newest revisions of the migrations this code carries (read once per URL)."""
    return frozenset(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def known_revisions(database_url: str) -> frozenset[str]:
    """Every revision this code knows (a database at another one is newer than the code)."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    return frozenset(revision.revision for revision in script.walk_revisions())


async def database_heads(connection: AsyncConnection) -> frozenset[str]:
    """The revisions the database is at (empty for a database never migrated)."""

    def read(sync: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(sync).get_current_heads())

    return await connection.run_sync(read)
