"""Shared fixtures. Every test runs against a real database: SQLite by default, PostgreSQL when
SMARTNODE_TEST_DATABASE_URL points at one (CI runs the suite both ways)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from smartnode.actors.inputs import MemberInput, ProjectInput
from smartnode.actors.members import create_member
from smartnode.actors.projects import create_project
from smartnode.app import create_app
from smartnode.cli import app as cli_app
from smartnode.config import Settings, load_settings
from smartnode.storage.db import Database, create_engine
from smartnode.storage.migrate import upgrade
from smartnode.storage.models import Actor, Base

TEST_DOMAIN = "se.smart.test"
TEST_BASE_URL = "https://se.smart.test"
TEST_SECRET = "test-secret-key-not-for-production"


def _database_url() -> str:
    url = os.environ.get("SMARTNODE_TEST_DATABASE_URL", "")
    if url:
        return url
    folder = Path(tempfile.mkdtemp(prefix="smartnode-test-"))
    return f"sqlite+aiosqlite:///{folder / 'test.db'}"


async def _reset_schema(url: str) -> None:
    """Drop everything, then apply the migrations from scratch (proves they run on this DB)."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await upgrade(url)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = _database_url()
    asyncio.run(_reset_schema(url))
    yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        domain=TEST_DOMAIN,
        base_url=TEST_BASE_URL,
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        node_name="Smart Sverige",
        node_country="SE",
        document_cache_seconds=60,
        in_process_worker=False,  # tests drive Worker.run_once themselves
    )


async def _empty_tables(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    await _empty_tables(database)
    yield database
    await database.dispose()


@pytest.fixture
async def app(settings: Settings, db: Database) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as c:
        yield c


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.session() as s:
        yield s


def now() -> datetime:
    return datetime.now(UTC)


async def make_member(
    db: Database, settings: Settings, username: str = "anna", **fields: object
) -> Actor:
    """Arrange: a committed member row made through the real service."""
    data = MemberInput.model_validate(
        {"username": username, "name": fields.pop("name", username.title()), **fields}
    )
    async with db.session() as s, s.begin():
        return await create_member(s, settings, data, now())


async def make_project(
    db: Database, settings: Settings, name: str, coordinator: str, **fields: object
) -> Actor:
    """Arrange: a committed project row made through the real service."""
    data = ProjectInput.model_validate({"name": name, "coordinator": coordinator, **fields})
    async with db.session() as s, s.begin():
        return await create_project(s, settings, data, now())


# ---------------------------------------------------------------- the CLI in-process

Invoke = Callable[..., Result]


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "SMARTNODE_DATABASE_URL": database_url,
        "SMARTNODE_DATA_DIR": str(tmp_path),
        "SMARTNODE_SECRET_KEY": TEST_SECRET,
        "SMARTNODE_DOMAIN": TEST_DOMAIN,
        "SMARTNODE_BASE_URL": TEST_BASE_URL,
        "SMARTNODE_NODE_NAME": "Smart Sverige",
        "SMARTNODE_NODE_COUNTRY": "SE",
    }


@pytest.fixture
def smartnode(db: Any, cli_env: dict[str, str]) -> Invoke:
    """`smartnode(*args, **env)`: run the CLI in-process on the emptied test database."""

    def invoke(*args: str, **env: str) -> Result:
        return CliRunner().invoke(cli_app, list(args), env={**cli_env, **env})

    return invoke


def query(database_url: str, statement: Any) -> list[Any]:
    """Rows of `statement` read through a fresh engine (the CLI committed them)."""

    async def go() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with AsyncSession(engine) as session:
                return list((await session.execute(statement)).all())
        finally:
            await engine.dispose()

    return asyncio.run(go())
