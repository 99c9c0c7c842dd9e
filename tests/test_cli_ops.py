"""`smartnode token list|revoke`, `backup` and `doctor` on a real database: what they print,
their exit codes, and what they leave behind (a revoked token no longer works on the API; a
backup is a SQLite database with the same rows and keys)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.db import Database, create_engine
from smartnode.storage.models import Actor, Job
from smartnode.storage.models_accounts import ApiToken
from tests.accounts.test_oauth_support import granted_tokens, register, signed_in_member
from tests.conftest import Invoke, query
from tests.test_cli import assert_one_clear_line


def _node(settings: Settings) -> tuple[Any, httpx.AsyncClient]:
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    return application, httpx.AsyncClient(transport=transport, base_url=settings.base_url)


async def _granted(settings: Settings) -> dict[str, Any]:
    """bo allows the app Tusky to read: the token endpoint's answer."""
    application, client = _node(settings)
    db = Database(settings)
    try:
        async with application.router.lifespan_context(application), client:
            bo = await signed_in_member(db, settings, "bo")
            return await granted_tokens(client, bo, await register(client), scope="read")
    finally:
        await db.dispose()


async def _status_with(settings: Settings, token: str) -> int:
    """The API's answer to a read made with `token`."""
    application, client = _node(settings)
    async with application.router.lifespan_context(application), client:
        answer = await client.get(
            "/api/smart/v1/members", headers={"Authorization": f"Bearer {token}"}
        )
    return answer.status_code


def test_token_list_shows_every_token_and_no_secret_then_revoke_ends_one(
    smartnode: Invoke, database_url: str, settings: Settings
) -> None:
    assert smartnode("init").exit_code == 0
    admin = smartnode("token", "create", "ops laptop").stdout.strip()
    assert smartnode("member", "create", "anna", "--name", "Anna").exit_code == 0
    mine = smartnode("token", "create", "anna script", "--member", "anna").stdout.strip()
    granted = asyncio.run(_granted(settings))
    listed = smartnode("token", "list")
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "│" in line or "|" in line]
    assert any("admin" in r and "(node)" in r and "ops laptop" in r for r in rows), listed.output
    assert any("member" in r and "anna" in r and "anna script" in r for r in rows)
    assert any(" app " in r and "bo" in r and "Tusky" in r and "read" in r for r in rows)
    for secret in (admin, mine, granted["access_token"], granted["refresh_token"]):
        assert secret not in listed.output
    [(anna_token,)] = query(
        database_url, select(ApiToken.id).where(ApiToken.label == "anna script")
    )
    assert asyncio.run(_status_with(settings, mine)) == 200
    revoked = smartnode("token", "revoke", str(anna_token))
    assert revoked.exit_code == 0, revoked.output
    assert f"Revoked token {anna_token} (member of anna, 'anna script')." in revoked.output
    assert asyncio.run(_status_with(settings, mine)) == 401
    assert asyncio.run(_status_with(settings, admin)) == 200
    assert asyncio.run(_status_with(settings, granted["access_token"])) == 200
    assert not query(database_url, select(ApiToken.id).where(ApiToken.id == anna_token))


def test_token_revoke_of_an_unknown_id_is_one_clear_line(smartnode: Invoke) -> None:
    assert smartnode("init").exit_code == 0
    result = smartnode("token", "revoke", "987654")
    assert_one_clear_line(result, "no token with id 987654", "smartnode token list")
    assert result.exit_code == 1


def test_token_list_is_for_the_operator_only(smartnode: Invoke) -> None:
    assert smartnode("init").exit_code == 0
    assert smartnode("member", "create", "anna", "--name", "Anna").exit_code == 0
    mine = smartnode("token", "create", "anna script", "--member", "anna").stdout.strip()
    result = smartnode("--token", mine, "token", "list")
    assert_one_clear_line(result, "only an admin")


def _rows(path: Path, statement: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute(statement).fetchall())


def test_backup_of_a_running_sqlite_node_holds_the_same_rows_and_keys(
    smartnode: Invoke, settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "node" / "smartnode.db"  # SQLite, whichever database the suite runs on
    own = {"SMARTNODE_DATABASE_URL": f"sqlite+aiosqlite:///{source}"}
    assert smartnode("init", **own).exit_code == 0
    assert smartnode("member", "create", "anna", "--name", "Anna", **own).exit_code == 0
    target = tmp_path / "backups" / "node.db"
    target.parent.mkdir()

    async def while_serving() -> Any:  # the node runs (and holds its database open) meanwhile
        node = settings.model_copy(update={"database_url": own["SMARTNODE_DATABASE_URL"]})
        application, client = _node(node)
        async with application.router.lifespan_context(application), client:
            assert (await client.get("/healthz")).status_code == 200
            return await asyncio.to_thread(smartnode, "backup", str(target), **own)

    result = asyncio.run(while_serving())
    assert result.exit_code == 0, result.output
    assert f"Backed up the database to {target}" in result.output
    assert "keep a copy of that too" in result.output
    keys = "SELECT uri, public_key_pem, private_key_enc FROM actors WHERE local ORDER BY id"
    assert _rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(target, keys) == _rows(source, keys)
    assert len(_rows(target, keys)) == 2  # the node actor and anna, with their keys
    revision = "SELECT version_num FROM alembic_version"
    assert _rows(target, revision) == _rows(source, revision)
    again = smartnode("backup", str(target), **own)
    assert_one_clear_line(again, f"{target} exists already")


def test_backup_on_postgresql_says_to_use_pg_dump(smartnode: Invoke, tmp_path: Path) -> None:
    url = "postgresql+asyncpg://smartnode:a-db-password@db.internal:5433/node"
    result = smartnode("backup", str(tmp_path / "x.db"), SMARTNODE_DATABASE_URL=url)
    assert_one_clear_line(result, "pg_dump --format=custom --host=db.internal --port=5433")
    assert result.exit_code == 1 and "a-db-password" not in result.output
    assert not (tmp_path / "x.db").exists()


def _lines(output: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in output.splitlines():
        level, name, message = line[:4].strip(), line[5:].split("  ")[0].strip(), line
        found[name] = (level, message)
    return found


def test_doctor_on_a_healthy_node_says_ok_and_what_to_watch(
    smartnode: Invoke, database_url: str
) -> None:
    assert smartnode("init").exit_code == 0
    result = smartnode("doctor", SMARTNODE_SMTP_URL="smtp://127.0.0.1:2525")
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    for name in ("database", "migrations", "identity", "node keys", "queues"):
        assert lines[name][0] == "OK", result.output
    assert lines["configuration"][0] == "OK"  # https, and a mail server
    assert "SMARTNODE_SECRET_KEY" in lines["node keys"][1]
    assert lines["worker"][0] == "WARN"  # serve would run one; none runs now
    assert lines["disk"][0] in ("OK", "WARN")
    assert "Traceback" not in result.output


def test_doctor_names_what_is_wrong_and_exits_1(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("init").exit_code == 0
    wrong_key = smartnode("doctor", SMARTNODE_SECRET_KEY="another-secret-key-entirely")
    assert wrong_key.exit_code == 1
    lines = _lines(wrong_key.output)
    assert (
        lines["node keys"][0] == "FAIL" and "SMARTNODE_SECRET_KEY differs" in lines["node keys"][1]
    )
    assert lines["configuration"][0] == "WARN" and "SMARTNODE_SMTP_URL" in lines["configuration"][1]
    gone = smartnode("doctor", SMARTNODE_DATABASE_URL="postgresql+asyncpg://x:pw@127.0.0.1:9/db")
    assert gone.exit_code == 1 and "Traceback" not in gone.output and ":pw@" not in gone.output
    assert _lines(gone.output)["database"][0] == "FAIL"
    assert "SMARTNODE_DATABASE_URL" in _lines(gone.output)["database"][1]


def test_doctor_finds_migrations_behind_and_failed_rows(
    smartnode: Invoke, database_url: str
) -> None:
    assert smartnode("init").exit_code == 0

    async def arrange(statement: str, **values: Any) -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), values)
                return list(result.scalars()) if result.returns_rows else []
        finally:
            await engine.dispose()

    async def a_failed_job() -> None:
        engine = create_engine(database_url)
        try:
            async with AsyncSession(engine) as session, session.begin():
                at = datetime(2026, 12, 1, tzinfo=UTC)
                session.add(Job(kind="fanout", payload={}, state="failed", run_at=at, attempts=12,
                                last_error="gave up", created_at=at))  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(a_failed_job())
    failed = _lines(smartnode("doctor").output)
    assert failed["queues"][0] == "WARN" and "jobs 1" in failed["queues"][1]
    assert "smartnode jobs retry" in failed["queues"][1]
    [head] = asyncio.run(arrange("SELECT version_num FROM alembic_version"))
    asyncio.run(arrange("UPDATE alembic_version SET version_num = '0021'"))
    try:
        behind = smartnode("doctor")
    finally:
        asyncio.run(arrange("UPDATE alembic_version SET version_num = :v", v=head))
    assert behind.exit_code == 1
    assert _lines(behind.output)["migrations"][0] == "FAIL"
    assert "run `smartnode init`" in _lines(behind.output)["migrations"][1]
    assert query(database_url, select(Actor.id).where(Actor.kind == "node"))
