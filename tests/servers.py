"""Real `smartnode` processes on 127.0.0.1 for tests: free ports, CLI runs, a served node.

    with smartnode_server(tmp_path / "se", env={"SMARTNODE_NODE_NAME": "Smart Sverige"}) as node:
        httpx.get(node.url("/api/smart/v1/openapi.json"))

Every process binds loopback only, gets its own data folder, is always terminated, and its
output is kept in a log file that failure messages quote.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
READY_PATH = "/api/smart/v1/openapi.json"
#: Generous: RSA key generation and migrations on a busy 2-core machine.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class ServerFailed(AssertionError):
    """A smartnode process did not start or answer; the message quotes its log."""


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1 (for `smartnode demo`)."""
    for _ in range(200):
        first = random.randint(20000, 60000 - count)
        if all(_port_is_free(first + i) for i in range(count)):
            return first
    raise RuntimeError(f"found no {count} consecutive free ports on {HOST}")


def node_env(
    data_dir: Path, port: int, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment of a loopback node: this process's, minus any SMARTNODE_* of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTNODE_")}
    env.update(
        {
            "SMARTNODE_DATA_DIR": str(data_dir),
            "SMARTNODE_DOMAIN": f"{HOST}:{port}",
            "SMARTNODE_BASE_URL": f"http://{HOST}:{port}",
            "SMARTNODE_ALLOW_PRIVATE_ADDRESSES": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides or {})
    return env


def smartnode_command(*args: str) -> list[str]:
    """argv running the `smartnode` command of the interpreter running the tests."""
    return [sys.executable, "-m", "smartnode.cli", *args]


def run_cli(
    args: Sequence[str], env: Mapping[str, str], *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `smartnode` command to completion and return what it printed."""
    return subprocess.run(
        smartnode_command(*args),
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def check_cli(args: Sequence[str], env: Mapping[str, str]) -> str:
    """Run a `smartnode` command that must succeed; its stdout."""
    done = run_cli(args, env)
    if done.returncode != 0:
        raise ServerFailed(
            f"`smartnode {' '.join(args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


@dataclass
class RunningProcess:
    """A started `smartnode` process whose output goes to a log file."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def fail(self, why: str) -> ServerFailed:
        return ServerFailed(f"{why}\n--- log {self.log_path} ---\n{self.log()[-6000:]}")

    def wait_until_answers(self, url: str, timeout: float = START_TIMEOUT) -> None:
        """Poll `url` until it answers 200; ServerFailed if the process dies or never answers."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.fail(f"the process exited with {self.process.returncode} before {url}")
            try:
                status = httpx.get(url, timeout=5).status_code
                if status == 200:
                    return
                last = f"HTTP {status}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise self.fail(f"{url} did not answer 200 within {timeout:g} s (last: {last})")

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send `sig` (Ctrl-C by default), wait, kill if it hangs; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        return int(self.process.returncode)


@contextmanager
def started(
    args: Sequence[str], env: Mapping[str, str], log_path: Path
) -> Iterator[RunningProcess]:
    """Start `smartnode ARGS` in the background; always stopped (and reaped) on exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            smartnode_command(*args), env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    running = RunningProcess(process, log_path)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Server:
    """A `smartnode serve` process answering on http://127.0.0.1:port."""

    port: int
    data_dir: Path
    env: dict[str, str]
    running: RunningProcess

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def domain(self) -> str:
        return f"{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run another `smartnode` command against this node's settings."""
        return run_cli(args, self.env)

    def log(self) -> str:
        return self.running.log()


@contextmanager
def smartnode_server(
    data_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    init: bool = True,
    seed: str | None = None,
    ready_path: str = READY_PATH,
    access_log: bool = False,
) -> Iterator[Server]:
    """`smartnode init` (+ `seed --country SEED`), then `smartnode serve` until it answers.

    `env` overrides the node's settings (e.g. SMARTNODE_DATABASE_URL for PostgreSQL).
    """
    port = port or free_port()
    node_env_ = node_env(data_dir, port, env)
    data_dir.mkdir(parents=True, exist_ok=True)
    if init:
        check_cli(["init"], node_env_)
    if seed:
        check_cli(["seed", "--country", seed], node_env_)
    args = ["serve", "--host", HOST, "--port", str(port)]
    args.append("--access-log" if access_log else "--no-access-log")
    with started(args, node_env_, data_dir / "serve.log") as running:
        server = Server(port=port, data_dir=data_dir, env=node_env_, running=running)
        running.wait_until_answers(server.url(ready_path))
        yield server
