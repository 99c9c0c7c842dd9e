"""Start and stop benchmark servers on free 127.0.0.1 ports; drive them with wrk."""

from __future__ import annotations

import os
import re
import shutil
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

ROOT = Path(__file__).resolve().parent.parent
UVICORN_FAST = ["--workers", "1", "--loop", "uvloop", "--http", "httptools", "--no-access-log"]


#: Where the server under test and its load run (`--pin`): (server cores, load cores), or None
#: for the scheduler's choice. On a small machine two busy processes that the scheduler moves
#: between cores make a run's rate swing by a third; pinned, each keeps its core.
_PIN: tuple[str, str] | None = None


def pin(enabled: bool) -> str:
    """Pin servers to the first core and load processes to the others (with two cores or
    more, and `taskset` present); a line saying what was done."""
    global _PIN
    cores = sorted(os.sched_getaffinity(0))
    if not enabled:
        _PIN = None
        return "not pinned: servers and load where the scheduler puts them"
    if len(cores) < 2 or shutil.which("taskset") is None:
        _PIN = None
        return "not pinned: needs two cores and taskset"
    _PIN = (str(cores[0]), ",".join(str(core) for core in cores[1:]))
    return f"pinned: servers on core {_PIN[0]}, load on core(s) {_PIN[1]}"


def as_server(command: Sequence[str]) -> list[str]:
    """`command` on the servers' cores when pinned."""
    return ["taskset", "-c", _PIN[0], *command] if _PIN else list(command)


def as_load(command: Sequence[str]) -> list[str]:
    """`command` on the load's cores when pinned."""
    return ["taskset", "-c", _PIN[1], *command] if _PIN else list(command)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll `url` until it answers below 500; fail fast if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def running(
    command: Sequence[str],
    ready_url: str,
    env: Mapping[str, str] | None = None,
    output: Path | None = None,
    timeout: float = 30,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` (a server) until the block ends; it is stopped by its own process id. Its
    output goes to the file `output` when given; it must answer within `timeout` seconds."""
    with output.open("wb") if output else open(os.devnull, "wb") as log:
        process = subprocess.Popen(
            as_server(command),
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log if output else None,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
        )
    try:
        wait_until_up(ready_url, process, timeout)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def uvicorn_command(app: str, port: int, *, factory: bool = True) -> list[str]:
    """One uvicorn worker with uvloop + httptools and no access log, on 127.0.0.1:`port`."""
    extra = ["--factory"] if factory else []
    return [sys.executable, "-m", "uvicorn", app, *extra, "--host", "127.0.0.1",
            "--port", str(port), *UVICORN_FAST, "--log-level", "warning"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Load:
    """How wrk drives a server."""

    threads: int = 1
    connections: int = 32
    seconds: float = 5.0
    accept: str = "application/activity+json"
    headers: tuple[str, ...] = ()  # more request headers, "Name: value"


def ensure_wrk() -> str:
    """Path of wrk; installed with apt-get when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install -y wrk", flush=True)
    if subprocess.run(["apt-get", "install", "-y", "wrk"], check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed")
    return found


def wrk_once(wrk: str, url: str, load: Load) -> float:
    """Requests per second of one wrk run; any non-2xx answer or socket error is an error."""
    seconds = max(1, round(load.seconds))
    extra = [part for header in load.headers for part in ("-H", header)]
    command = [wrk, f"-t{load.threads}", f"-c{load.connections}", f"-d{seconds}s",
               "-H", f"Accept: {load.accept}", *extra, url]  # fmt: skip
    out = subprocess.run(as_load(command), capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{out}")
    return float(match.group(1))
