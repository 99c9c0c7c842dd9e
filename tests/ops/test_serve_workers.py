"""`smartnode serve --workers N`: on PostgreSQL, N API processes share the port and all stop with
the command; on SQLite (one writer) more than one is refused in one line."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx

from tests.servers import (
    HOST,
    START_TIMEOUT,
    check_cli,
    free_port,
    node_env,
    run_cli,
    started,
)

STARTED = re.compile(r"Started server process \[(\d+)\]")


def _children(pid: int) -> set[int]:
    """The live processes `pid` started (Linux)."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in found}


def test_two_api_processes_on_postgresql_serve_one_port(
    empty_postgres: str, tmp_path: Path
) -> None:
    port = free_port()
    env = node_env(tmp_path / "node", port, {"SMARTNODE_DATABASE_URL": empty_postgres})
    check_cli(["init"], env)
    args = ["serve", "--host", HOST, "--port", str(port), "--workers", "2"]
    with started(args, env, tmp_path / "serve.log") as serving:
        serving.wait_until_answers(f"http://{HOST}:{port}/healthz")
        deadline = time.monotonic() + START_TIMEOUT * 2
        while serving.log().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, serving.fail("two processes did not start")
            time.sleep(0.2)
        servers = {int(pid) for pid in STARTED.findall(serving.log())}
        assert len(servers) == 2 and servers <= _children(serving.process.pid), serving.log()
        answers = [httpx.get(f"http://{HOST}:{port}/readyz", timeout=10) for _ in range(10)]
        assert [answer.status_code for answer in answers] == [200] * 10, answers[-1].text
        assert serving.stop(signal.SIGINT) == 0, serving.log()
    assert not any(Path(f"/proc/{pid}").exists() for pid in servers)  # stopped with it
    assert "Traceback" not in serving.log()


def test_several_api_processes_on_sqlite_are_refused_in_one_line(tmp_path: Path) -> None:
    env = node_env(tmp_path / "node", free_port())
    check_cli(["init"], env)
    done = run_cli(["serve", "--workers", "2"], env)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "--workers 2 needs PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
