"""Fixtures of the operations tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from smartnode.storage.db import create_engine


@pytest.fixture
def empty_postgres(database_url: str) -> Iterator[str]:
    """A new PostgreSQL database beside the suite's (t_hN_mig_…), dropped afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("this needs a PostgreSQL server (SMARTNODE_TEST_DATABASE_URL)")
    suite = make_url(database_url)
    name = f"{suite.database}_mig_{uuid.uuid4().hex[:8]}"

    async def admin(statement: str) -> None:
        engine = create_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield suite.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
