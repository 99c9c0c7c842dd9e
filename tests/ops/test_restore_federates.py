"""A node backed up while it runs and restored on a "new machine" (a fresh data folder, the same
address) keeps its ids and keys and federates: a peer that cached a member's key before the move
accepts what the restored node signs, without fetching the key again.

Real `smartnode` processes on loopback: the peer, the old node, the restored node.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.servers import Server, check_cli, free_port, node_env, run_cli, smartnode_server

AP = {"Accept": "application/activity+json"}
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 90) -> T:
    """Poll `check` until it gives a value; AssertionError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"waited {timeout:g} s for {what}")


def _actor(node: Server, username: str) -> dict[str, Any]:
    answer = httpx.get(node.url(f"/members/{username}"), headers=AP, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _followers(peer: Server, username: str) -> int:
    answer = httpx.get(peer.url(f"/members/{username}/followers"), headers=AP, timeout=10)
    return int(answer.json().get("totalItems", -1))


def _cached_key(peer: Server, actor_uri: str) -> tuple[str, str, int]:
    """The key the peer holds for `actor_uri`, when it fetched it, and its row id."""
    with closing(sqlite3.connect(peer.data_dir / "smartnode.db")) as conn:
        row = conn.execute(
            "SELECT public_key_pem, fetched_at, id FROM actors WHERE uri = ?", (actor_uri,)
        ).fetchone()
    assert row is not None, f"the peer never cached {actor_uri}"
    return str(row[0]), str(row[1]), int(row[2])


def _local_ids(database: Path) -> dict[str, int]:
    with closing(sqlite3.connect(database)) as conn:
        return dict(conn.execute("SELECT uri, id FROM actors WHERE local").fetchall())


def test_a_restored_node_keeps_its_keys_and_ids_and_a_peer_accepts_its_signatures(
    tmp_path: Path,
) -> None:
    port = free_port()
    backup = tmp_path / "backups" / "node.db"
    backup.parent.mkdir()
    with smartnode_server(tmp_path / "peer") as peer:
        check_cli(["member", "create", "bram", "--name", "Bram"], peer.env)
        with smartnode_server(tmp_path / "old", port=port) as old:
            check_cli(["member", "create", "anna", "--name", "Anna"], old.env)
            check_cli(["follow", "anna", f"@bram@{peer.domain}"], old.env)
            wait_for(lambda: _followers(peer, "bram") == 1, "the Follow reaching the peer")
            before = _actor(old, "anna")
            cached = _cached_key(peer, before["id"])
            assert cached[0] == before["publicKey"]["publicKeyPem"]
            check_cli(["backup", str(backup)], old.env)  # while the node runs
            ids = _local_ids(old.data_dir / "smartnode.db")

        new = tmp_path / "new-machine"
        new.mkdir()
        shutil.copy(old.data_dir / "secret.key", new / "secret.key")  # kept apart from backups
        restored = run_cli(["restore", str(backup)], node_env(new, port))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "smartnode init" in restored.stdout
        again = run_cli(["restore", str(backup)], node_env(new, port))
        assert again.returncode == 1 and "exists already" in again.stderr

        with smartnode_server(new, port=port) as moved:
            after = _actor(moved, "anna")
            assert after["id"] == before["id"]
            assert after["publicKey"] == before["publicKey"]
            assert _local_ids(new / "smartnode.db") == ids
            check_cli(["unfollow", "anna", f"@bram@{peer.domain}"], moved.env)
            wait_for(lambda: _followers(peer, "bram") == 0, "the signed Undo reaching the peer")
        assert _cached_key(peer, before["id"]) == cached  # verified with the key it held


def test_restore_refuses_a_file_that_is_not_a_backup_and_a_postgresql_node(
    tmp_path: Path,
) -> None:
    env = node_env(tmp_path / "node", free_port())
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    refused = run_cli(["restore", str(junk)], env)
    assert refused.returncode == 1 and "damaged" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "node" / "smartnode.db").exists()
    missing = run_cli(["restore", str(tmp_path / "nowhere.db")], env)
    assert missing.returncode == 1 and "no backup at" in missing.stderr
    on_postgres = {**env, "SMARTNODE_DATABASE_URL": "postgresql+asyncpg://x:pw@127.0.0.1:9/db"}
    told = run_cli(["restore", str(junk)], on_postgres)
    assert told.returncode == 1 and "pg_restore" in told.stderr
