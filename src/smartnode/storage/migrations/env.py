"""Alembic environment: runs on a connection handed over by smartnode.storage.migrate,
or opens its own (async) engine when `alembic` is run by hand."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from smartnode.storage.db import create_engine
from smartnode.storage.models import Base
from smartnode.storage.models_search import include_name

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_own_engine() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from smartnode.config import load_settings

        url = load_settings().database_url
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    asyncio.run(_run_own_engine())
