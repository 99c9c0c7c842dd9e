"""A node's domain and base URL are fixed when its database is initialised: nothing runs against
the database with other values, so no id is ever minted on a wrong domain."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import Result

from smartnode.actors.identity import IdentityMismatch
from smartnode.actors.node import ensure_node_actor
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, NodeIdentity
from tests.conftest import TEST_BASE_URL, TEST_DOMAIN, Invoke, query
from tests.servers import node_env, run_cli

CREATE = ("member", "create", "anna", "--name", "Anna")


def _members(database_url: str) -> int:
    statement = select(func.count()).select_from(Actor).where(Actor.kind == "member")
    return int(query(database_url, statement)[0][0])


def _refused(result: Result, *names: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for name in names:
        assert name in lines[0], result.output


def test_init_records_the_domain_and_base_url(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("init").exit_code == 0
    rows = query(database_url, select(NodeIdentity.domain, NodeIdentity.base_url))
    assert [tuple(row) for row in rows] == [(TEST_DOMAIN, TEST_BASE_URL)]


def test_a_command_with_another_domain_writes_nothing(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("init").exit_code == 0
    result = smartnode(*CREATE, SMARTNODE_DOMAIN="127.0.0.1:8000", SMARTNODE_BASE_URL=TEST_BASE_URL)
    _refused(result, f"SMARTNODE_DOMAIN={TEST_DOMAIN}", "SMARTNODE_DOMAIN=127.0.0.1:8000")
    assert _members(database_url) == 0


def test_a_command_without_the_node_settings_is_refused(
    smartnode: Invoke, database_url: str, cli_env: dict[str, str]
) -> None:
    """The reported case: SMARTNODE_DOMAIN and SMARTNODE_BASE_URL left unset fall back to the
    defaults, which are not this node's."""
    assert smartnode("init").exit_code == 0
    result = smartnode(
        "member", "create", "anna", "--name", "Anna", SMARTNODE_DOMAIN=None, SMARTNODE_BASE_URL=None
    )
    _refused(result, f"SMARTNODE_DOMAIN={TEST_DOMAIN}")
    assert _members(database_url) == 0


def test_another_base_url_is_refused_even_by_init(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("init").exit_code == 0
    other = "https://sv.smart.test"
    for args in (("init",), ("member", "list"), ("peer", "add", "https://be.smart.test")):
        _refused(smartnode(*args, SMARTNODE_BASE_URL=other), TEST_BASE_URL, other)
    rows = query(database_url, select(NodeIdentity.base_url))
    assert [row[0] for row in rows] == [TEST_BASE_URL]


def test_the_same_settings_keep_working(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("init").exit_code == 0
    assert smartnode(*CREATE).exit_code == 0
    assert smartnode("init").exit_code == 0
    assert _members(database_url) == 1


async def test_a_database_from_before_the_record_is_checked_against_its_node_actor(
    db: Database, settings: Settings
) -> None:
    """Databases initialised before migration 0016 have a node actor but no record."""
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        await ensure_node_actor(s, settings, now)
        await s.delete(await s.get(NodeIdentity, 1))
    moved = settings.model_copy(update={"base_url": "https://elsewhere.test"})
    async with db.session() as s:
        with pytest.raises(
            IdentityMismatch, match=re.escape("SMARTNODE_BASE_URL=https://se.smart.test")
        ):
            await ensure_node_actor(s, moved, now)
    renamed = settings.model_copy(update={"domain": "smart.test"})
    async with db.session() as s:
        with pytest.raises(IdentityMismatch, match=re.escape("SMARTNODE_DOMAIN=se.smart.test")):
            await ensure_node_actor(s, renamed, now)
    async with db.session() as s, s.begin():
        await ensure_node_actor(s, settings, now)
    async with db.session() as s:
        row = await s.get(NodeIdentity, 1)
        assert row is not None and (row.domain, row.base_url) == (TEST_DOMAIN, TEST_BASE_URL)


async def test_the_server_does_not_start_with_another_domain(
    db: Database, settings: Settings
) -> None:
    async with db.session() as s, s.begin():
        await ensure_node_actor(s, settings, datetime.now(UTC))
    app = create_app(settings.model_copy(update={"domain": "other.smart.test"}))
    with pytest.raises(IdentityMismatch):
        async with app.router.lifespan_context(app):
            pass


def test_serve_and_worker_processes_refuse_with_one_line(tmp_path: Path) -> None:
    env = node_env(tmp_path, 8431)
    assert run_cli(["init"], env).returncode == 0
    moved = {**env, "SMARTNODE_DOMAIN": "127.0.0.1:8432", "SMARTNODE_BASE_URL": ""}
    for args in (["serve", "--port", "8432"], ["worker"]):
        done = run_cli(args, moved)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert done.stderr.strip().count("\n") == 0
        assert "SMARTNODE_DOMAIN=127.0.0.1:8431" in done.stderr
