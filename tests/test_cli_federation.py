"""`smartnode` federation commands: blocks, peers, follow, and the worker as its own process."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import select

from smartnode.actors.records import find_local_actor, node_uris
from smartnode.outbox.publish import publish
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Delivery, DomainBlock, Follow, Peer
from tests.conftest import Invoke, query
from tests.servers import check_cli, node_env, run_cli, started


def test_block_add_list_remove(smartnode: Invoke, database_url: str) -> None:
    added = smartnode("block", "add", "Spam.Example.", "--reason", "spam wave")
    assert added.exit_code == 0 and "spam.example" in added.stdout
    assert query(database_url, select(DomainBlock.domain, DomainBlock.reason)) == [
        ("spam.example", "spam wave")
    ]
    listed = smartnode("block", "list")
    assert "spam.example" in listed.stdout and "spam wave" in listed.stdout
    assert smartnode("block", "remove", "spam.example").exit_code == 0
    assert query(database_url, select(DomainBlock.domain)) == []


def test_block_refuses_garbage_with_one_line(smartnode: Invoke, database_url: str) -> None:
    result = smartnode("block", "add", "not a domain/x")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is not a domain name" in result.output
    assert query(database_url, select(DomainBlock.domain)) == []


def test_peer_add_list_remove(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("peer", "add", "https://BE.smart.coop/").exit_code == 0
    assert query(database_url, select(Peer.host, Peer.actor_uri)) == [
        ("be.smart.coop", "https://be.smart.coop/actor")
    ]
    assert "be.smart.coop" in smartnode("peer", "list").stdout
    bad = smartnode("peer", "add", "be.smart.coop/some/path")
    assert bad.exit_code == 1 and "base URL" in bad.output and "Traceback" not in bad.output
    assert smartnode("peer", "remove", "be.smart.coop").exit_code == 0
    assert query(database_url, select(Peer.host)) == []


def test_following_a_local_project_is_accepted_at_once(
    smartnode: Invoke, database_url: str
) -> None:
    for name in ("anna", "erik"):
        assert smartnode("member", "create", name, "--name", name.title()).exit_code == 0
    assert (
        smartnode(
            "project", "create", "opera", "--name", "Opera", "--coordinator", "erik"
        ).exit_code
        == 0
    )
    result = smartnode("follow", "anna", "https://se.smart.test/projects/opera")
    assert result.exit_code == 0 and "now follows" in result.stdout
    assert query(database_url, select(Follow.state)) == [("accepted",)]
    assert query(database_url, select(Activity.id)) == []  # nothing to send


def test_follow_of_an_unknown_local_actor_or_bad_target_is_one_line(
    smartnode: Invoke, database_url: str
) -> None:
    assert smartnode("member", "create", "anna", "--name", "Anna").exit_code == 0
    for args in (("follow", "nobody", "@x@y.example"), ("follow", "anna", "not-a-handle")):
        result = smartnode(*args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert query(database_url, select(Follow.id)) == []


def test_worker_process_handles_stored_inbox_messages(tmp_path: Path) -> None:
    """`smartnode worker` alone processes what the edge stored, and stops on Ctrl-C."""
    env = node_env(tmp_path / "node", 8999, {"SMARTNODE_SECRET_KEY": "worker-test-secret-key"})
    check_cli(["init"], env)
    check_cli(["member", "create", "anna", "--name", "Anna"], env)
    check_cli(["project", "create", "opera", "--name", "Opera", "--coordinator", "anna"], env)
    database = tmp_path / "node" / "smartnode.db"
    anna = "http://127.0.0.1:8999/members/anna"
    follow = {"id": f"{anna}#f1", "type": "Follow", "actor": anna,
              "object": "http://127.0.0.1:8999/projects/opera"}  # fmt: skip
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO inbox_messages (activity_uri, inbox, actor_uri, activity_type, body,"
            " received_at, state, run_at, attempts) VALUES (?, ?, ?, 'Follow', ?,"
            " '2026-01-01 00:00:00', 'pending', '2026-01-01 00:00:00', 0)",
            (follow["id"], "http://127.0.0.1:8999/inbox", anna, orjson.dumps(follow).decode()),
        )
    with started(["worker"], env, tmp_path / "worker.log") as worker:
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            with sqlite3.connect(database) as connection:
                state = connection.execute("SELECT state FROM inbox_messages").fetchone()[0]
            if state != "pending":
                break
            time.sleep(0.2)
        assert state == "done", worker.log()
    assert "Traceback" not in worker.log()
    bad = run_cli(["worker"], node_env(tmp_path / "empty", 8998))
    assert bad.returncode != 0 and "smartnode init" in bad.stderr


def test_deliveries_lists_which_inboxes_got_an_actors_activities(
    smartnode: Invoke, database_url: str, db, settings
) -> None:
    assert smartnode("member", "create", "anna", "--name", "Anna").exit_code == 0
    moment = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    async def arrange() -> None:  # its own engine: this runs in a loop of its own
        fresh = Database(settings)
        async with fresh.session() as s, s.begin():
            anna = await find_local_actor(s, "anna")
            assert anna is not None
            activity = await publish(s, node_uris(settings), anna, "Update", obj=anna.uri,
                                     to=["https://m.example/users/bob"], now=moment)  # fmt: skip
            await s.flush()  # the activity's id
            s.add(Delivery(activity_id=activity.id, inbox_uri="https://m.example/inbox",
                           host="m.example", state="done", run_at=moment, attempts=1,
                           last_status=202, created_at=moment, delivered_at=moment))  # fmt: skip
        await fresh.dispose()

    asyncio.run(arrange())
    result = smartnode("deliveries", "anna")
    assert result.exit_code == 0, result.output
    assert "https://m.example/inbox" in result.stdout and "done" in result.stdout
    assert "202" in result.stdout and "Update" in result.stdout
    missing = smartnode("deliveries", "nobody")
    assert missing.exit_code == 1 and "Traceback" not in missing.output
