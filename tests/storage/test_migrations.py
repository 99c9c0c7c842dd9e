"""One migration history for both databases: it runs up and down, and matches the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from smartnode.storage.db import create_engine
from smartnode.storage.migrate import alembic_config, upgrade
from smartnode.storage.models import Base
from smartnode.storage.models_search import include_name


@pytest.fixture
async def fresh_database(database_url: str, tmp_path) -> AsyncIterator[str]:
    """An empty database of the same kind as the suite's (SQLite file or new PostgreSQL db)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"smartnode_migrations_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_go_up_down_and_up_again_and_match_the_models(fresh_database) -> None:
    await upgrade(fresh_database)
    engine = create_engine(fresh_database)
    cfg = alembic_config(fresh_database)

    def down_and_up(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")

    try:
        async with engine.begin() as conn:
            await conn.run_sync(down_and_up)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()
