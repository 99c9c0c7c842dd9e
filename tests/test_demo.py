"""`smartnode demo`: several seeded nodes on loopback in one process, each with its own data."""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from smartnode.cli import app
from tests.servers import HOST, RunningProcess, free_ports, node_env, started


def members_in(db_file: Path) -> list[tuple[str, str]]:
    """(username, country) of every member in a node's SQLite file."""
    with sqlite3.connect(db_file) as conn:
        return conn.execute(
            "SELECT a.username, p.country FROM actors a"
            " JOIN member_profiles p ON p.actor_id = a.id ORDER BY a.username"
        ).fetchall()


def node_names(db_file: Path) -> list[str]:
    with sqlite3.connect(db_file) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM actors WHERE kind = 'node'")]


def test_demo_serves_each_country_on_its_own_port_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_ports(2)
    se, be = f"http://{HOST}:{port}", f"http://{HOST}:{port + 1}"
    args = ["demo", "--nodes", "se,be", "--base-port", str(port), "--data-dir", str(tmp_path)]
    with started(
        [*args, "--duration", "120"], node_env(tmp_path, port), tmp_path / "demo.log"
    ) as demo:
        demo.wait_until_answers(f"{se}/api/smart/v1/openapi.json", timeout=120)
        demo.wait_until_answers(f"{be}/api/smart/v1/openapi.json", timeout=30)

        astrid = httpx.get(f"{se}/members/astrid", headers={"Accept": "application/activity+json"})
        assert astrid.status_code == 200 and astrid.json()["id"] == f"{se}/members/astrid"
        lotte = httpx.get(
            f"{be}/.well-known/webfinger",
            params={"resource": f"acct:lotte.vermeulen@{HOST}:{port + 1}"},
        )
        assert lotte.status_code == 200
        assert {"rel": "self", "type": "application/activity+json",
                "href": f"{be}/members/lotte.vermeulen"} in lotte.json()["links"]  # fmt: skip
        assert httpx.get(f"{se}/members/lotte.vermeulen").status_code == 404
        info = httpx.get(f"{be}/.well-known/nodeinfo").json()
        assert info["links"][0]["href"] == f"{be}/nodeinfo/2.1"

        se_members, be_members = (
            members_in(tmp_path / "se" / "smartnode.db"),
            members_in(tmp_path / "be" / "smartnode.db"),
        )
        assert len(se_members) == 9 and {c for _, c in se_members} == {"SE"}
        assert len(be_members) == 9 and {c for _, c in be_members} == {"BE"}
        assert node_names(tmp_path / "se" / "smartnode.db") == ["Smart Sverige"]
        assert node_names(tmp_path / "be" / "smartnode.db") == ["Smart Belgium"]

        assert demo.stop(signal.SIGINT) == 0, demo.log()
    log = demo.log()
    assert f"@astrid@{HOST}:{port}" in log and f"{be}" in log
    assert "Stopped all nodes." in log and "Traceback" not in log


def test_demo_stops_by_itself_after_duration_and_keeps_data(tmp_path: Path) -> None:
    port = free_ports(1)
    args = ["demo", "--nodes", "at", "--base-port", str(port), "--data-dir", str(tmp_path)]
    runner = CliRunner()
    first = runner.invoke(app, [*args, "--duration", "0"])
    assert first.exit_code == 0, first.output
    assert (
        "Smart Österreich" in first.output
        and "9 members, 3 projects, 2 open calls and 1 event added" in first.output
    )
    again = runner.invoke(app, [*args, "--duration", "0"])
    assert (
        again.exit_code == 0
        and "0 members, 0 projects, 0 open calls and 0 events added" in again.output
    )
    fresh = runner.invoke(app, [*args, "--duration", "0", "--fresh"])
    assert (
        fresh.exit_code == 0
        and "9 members, 3 projects, 2 open calls and 1 event added" in fresh.output
    )
    assert len(members_in(tmp_path / "at" / "smartnode.db")) == 9


def test_demo_refuses_data_made_for_other_ports(tmp_path: Path) -> None:
    port = free_ports(2)
    args = ["demo", "--nodes", "nl", "--data-dir", str(tmp_path), "--duration", "0"]
    runner = CliRunner()
    assert runner.invoke(app, [*args, "--base-port", str(port)]).exit_code == 0
    moved = runner.invoke(app, [*args, "--base-port", str(port + 1)])
    assert moved.exit_code == 2 and "add --fresh" in moved.output
    assert "Traceback" not in moved.output


@pytest.mark.parametrize(
    ("nodes", "expected", "code"),
    [
        ("se,xx", "no seed data for country 'xx'", 1),
        ("se,SE", "names a country twice", 2),
        (",", "needs at least one country", 2),
    ],
)
def test_demo_refuses_bad_node_lists(tmp_path: Path, nodes: str, expected: str, code: int) -> None:
    result = CliRunner().invoke(app, ["demo", "--nodes", nodes, "--data-dir", str(tmp_path)])
    assert result.exit_code == code and expected in result.output
    assert "Traceback" not in result.output and not any(tmp_path.iterdir())


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            app, ["demo", "--nodes", "fr", "--base-port", str(port), "--data-dir", str(tmp_path)]
        )
    assert result.exit_code == 2 and f"port {port} on {HOST} is in use" in result.output
    assert "Traceback" not in result.output


def test_demo_fresh_never_deletes_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "se").mkdir()
    (tmp_path / "se" / "notes.txt").write_text("mine")
    port = free_ports(1)
    result = CliRunner().invoke(
        app,
        ["demo", "--nodes", "se", "--base-port", str(port), "--data-dir", str(tmp_path), "--fresh"],
    )
    assert result.exit_code == 2 and "not deleting" in result.output
    assert (tmp_path / "se" / "notes.txt").read_text() == "mine"


def board_of(base_url: str) -> list[str]:
    """The calls a node's board lists (first 100)."""
    answer = httpx.get(f"{base_url}/api/smart/v1/board", params={"limit": 100}, timeout=10)
    assert answer.status_code == 200, answer.text
    return [item["uri"] for item in answer.json()["items"]]


def wait_for_line(demo: RunningProcess, text: str, timeout: float) -> None:
    """Until the demo's output shows `text`; fails quoting the log otherwise."""
    deadline = time.monotonic() + timeout
    while text not in demo.log():
        if time.monotonic() > deadline or demo.process.poll() is not None:
            raise demo.fail(f"{text!r} did not show within {timeout:g} s")
        time.sleep(0.2)


def test_demo_peers_every_node_with_every_other_and_fills_every_board(tmp_path: Path) -> None:
    port = free_ports(3)
    urls = [f"http://{HOST}:{port + offset}" for offset in range(3)]
    args = ["demo", "--nodes", "se,be,fr", "--base-port", str(port), "--data-dir", str(tmp_path)]
    with started(
        [*args, "--duration", "120"], node_env(tmp_path, port), tmp_path / "d.log"
    ) as demo:
        wait_for_line(demo, "Boards complete", timeout=90)
        boards = {url: board_of(url) for url in urls}
        assert demo.stop(signal.SIGINT) == 0, demo.log()

    log = demo.log()
    assert "Peering: each node added the 2 others (6 adds, shuffled)." in log
    assert re.search(r"Federation complete: 3 nodes, 6 follows accepted in \d+ s\.", log), log
    for url, board in boards.items():
        authors = {uri.split("/calls/")[0] for uri in board}
        assert authors == set(urls), (url, board)  # its own calls and every other node's
        assert len(board) == 6  # two open calls seeded per country
    for code in ("se", "be", "fr"):
        with sqlite3.connect(tmp_path / code / "smartnode.db") as conn:
            peers = conn.execute("SELECT ours_state, theirs_state FROM peers").fetchall()
            events = conn.execute("SELECT count(*) FROM objects WHERE kind = 'event'").fetchone()
        assert peers == [("accepted", "accepted")] * 2
        assert events == (3,)  # its own and the other two nodes' upcoming events


def test_demo_without_peering_leaves_the_nodes_unpeered(tmp_path: Path) -> None:
    port = free_ports(2)
    args = ["demo", "--nodes", "nl,it", "--base-port", str(port), "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--duration", "3", "--no-peering"])
    assert result.exit_code == 0, result.output
    assert "Peering" not in result.output and "Federation complete" not in result.output
    for code in ("nl", "it"):
        with sqlite3.connect(tmp_path / code / "smartnode.db") as conn:
            assert conn.execute("SELECT count(*) FROM peers").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM objects WHERE local = 0").fetchone() == (0,)
