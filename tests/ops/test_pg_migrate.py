"""`smartnode migrate-to-postgres`: a seeded SQLite node copied into an empty PostgreSQL database
serves the same actors with the same keys, the same tokens work, the row counts match, and new
rows get new ids. A target that holds a node, or a URL that is not PostgreSQL, is refused in one
line. The copy needs a PostgreSQL server: it runs when the suite does (the refusals run always).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from smartnode.actors.follows import ACCEPTED
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.ops.pg_migrate import row_counts
from smartnode.seed import seed_country
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Actor, Delivery, Follow, InboxMessage, Job
from tests.conftest import Invoke, make_member
from tests.test_cli import assert_one_clear_line

AP = "application/activity+json"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'node' / 'smartnode.db'}"


def _on(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"database_url": url})


async def _seed(settings: Settings) -> list[str]:
    """Members, projects, calls and events (the SE seed), a follow, and a row in each queue;
    the usernames of the members."""
    db = Database(settings)
    moment = datetime.now(UTC)
    try:
        async with db.session() as session, session.begin():
            report = await seed_country(session, settings, "SE", moment)
            ids = {a.username: a.id for a in await session.scalars(select(Actor))}
            first, second = report.members[:2]
            session.add(Follow(follower_id=ids[first], followed_id=ids[second],
                               state=ACCEPTED, created_at=moment))  # fmt: skip
            activity = await session.scalar(select(Activity).limit(1))
            assert activity is not None, "the seed publishes calls"
            session.add(Delivery(activity_id=activity.id, inbox_uri="https://peer.test/inbox",
                                 host="peer.test", state="pending", run_at=moment,
                                 created_at=moment))  # fmt: skip
            session.add(Job(kind="fanout", payload={"activity_id": activity.id},
                            state="pending", run_at=moment + timedelta(hours=1),
                            created_at=moment))  # fmt: skip
            like = {"type": "Like", "id": "https://peer.test/a/1"}
            session.add(InboxMessage(activity_uri=like["id"], inbox=f"{settings.base_url}/inbox",
                                     actor_uri="https://peer.test/u/x", activity_type="Like",
                                     body=like, received_at=moment, state="pending",
                                     run_at=moment))  # fmt: skip
        return report.members
    finally:
        await db.dispose()


async def _served(settings: Settings, usernames: list[str], token: str) -> dict[str, Any]:
    """What a node serves: each member's id and key, and whether `token` opens the API."""
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    found: dict[str, Any] = {}
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client,
    ):
        for username in usernames:
            answer = await client.get(f"/members/{username}", headers={"Accept": AP})
            assert answer.status_code == 200, username
            document = answer.json()
            found[username] = (document["id"], document["publicKey"]["publicKeyPem"])
        api = await client.get(
            "/api/smart/v1/members", headers={"Authorization": f"Bearer {token}"}
        )
        found["(token)"] = api.status_code
    return found


async def _new_member_id(settings: Settings) -> tuple[int, int]:
    """The id a member made after the move gets, and the largest id copied before it."""
    db = Database(settings)
    try:
        async with db.session() as session:
            top = int(await session.scalar(select(func.max(Actor.id))) or 0)
        made = await make_member(db, settings, "nyanda")
        return made.id, top
    finally:
        await db.dispose()


def test_a_seeded_sqlite_node_moves_to_postgresql_with_its_ids_keys_and_tokens(
    smartnode: Invoke, settings: Settings, sqlite_url: str, empty_postgres: str
) -> None:
    on_sqlite = _on(settings, sqlite_url)
    assert smartnode("init", SMARTNODE_DATABASE_URL=sqlite_url).exit_code == 0
    usernames = asyncio.run(_seed(on_sqlite))
    token = smartnode("token", "create", "ops", SMARTNODE_DATABASE_URL=sqlite_url).stdout.strip()
    before = asyncio.run(_served(on_sqlite, usernames, token))

    moved = smartnode("migrate-to-postgres", "--to", empty_postgres,
                      SMARTNODE_DATABASE_URL=sqlite_url)  # fmt: skip
    assert moved.exit_code == 0, moved.output
    assert "Copied" in moved.stdout

    counts = asyncio.run(row_counts(sqlite_url))
    assert asyncio.run(row_counts(empty_postgres)) == counts
    for table in ("actors", "projects", "objects", "follows", "deliveries", "jobs",
                  "inbox_messages", "api_tokens", "node_identity"):  # fmt: skip
        assert counts[table] > 0, table
    on_postgres = _on(settings, empty_postgres)
    assert asyncio.run(_served(on_postgres, usernames, token)) == before
    assert before["(token)"] == 200
    new_id, top = asyncio.run(_new_member_id(on_postgres))
    assert new_id > top  # the sequences were moved past the copied ids

    again = smartnode("migrate-to-postgres", "--to", empty_postgres,
                      SMARTNODE_DATABASE_URL=sqlite_url)  # fmt: skip
    assert_one_clear_line(again, "not empty")
    assert asyncio.run(row_counts(empty_postgres))["actors"] == counts["actors"] + 1


def test_a_target_that_is_not_postgresql_is_refused_in_one_line(
    smartnode: Invoke, sqlite_url: str, tmp_path: Path
) -> None:
    assert smartnode("init", SMARTNODE_DATABASE_URL=sqlite_url).exit_code == 0
    for target in ("not a url", f"sqlite+aiosqlite:///{tmp_path / 'other.db'}", "mysql://x/y"):
        refused = smartnode("migrate-to-postgres", "--to", target,
                            SMARTNODE_DATABASE_URL=sqlite_url)  # fmt: skip
        assert_one_clear_line(refused, "PostgreSQL" if "://" in target else "not a database URL")


def test_an_unreachable_target_is_one_line_without_its_password(
    smartnode: Invoke, sqlite_url: str
) -> None:
    assert smartnode("init", SMARTNODE_DATABASE_URL=sqlite_url).exit_code == 0
    target = "postgresql+asyncpg://smartnode:s3cret-word@127.0.0.1:9/smartnode"
    refused = smartnode("migrate-to-postgres", "--to", target, SMARTNODE_DATABASE_URL=sqlite_url)
    assert_one_clear_line(refused, "cannot reach")
    assert "s3cret-word" not in refused.output


def test_a_node_already_on_postgresql_has_nothing_to_move(
    smartnode: Invoke, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the suite's node is on SQLite")
    target = os.environ.get("SMARTNODE_TEST_DATABASE_URL", database_url)
    refused = smartnode("migrate-to-postgres", "--to", target)
    assert_one_clear_line(refused, "not a SQLite file")
