"""Receiver processes for the fault tests: start them, wait until they listen, read what they
recorded. A receiver runs `tests/faults/receiver.py`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Receiver:
    """One receiving host: where it listens and the file it records to."""

    address: str
    port: int
    record: Path
    process: subprocess.Popen[bytes]

    @property
    def server(self) -> str:
        """The delivery rows' `host` for this receiver (host:port, as fan-out writes it)."""
        return f"{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.address}:{self.port}{path}"

    def paths(self) -> list[str]:
        """The paths of the POSTs it received, in order (a repeat is a duplicate delivery)."""
        if not self.record.exists():
            return []
        lines = self.record.read_text().splitlines()
        return [json.loads(line)["path"] for line in lines if '"path"' in line]

    def events(self, event: str) -> int:
        """How many connections a silent receiver `accepted` (or saw `closed`) so far."""
        if not self.record.exists():
            return 0
        return self.record.read_text().count(json.dumps({"event": event}))


def _wait_ready(receiver: Receiver, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    ready = Path(f"{receiver.record}.ready")
    while not ready.exists():
        if receiver.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the receiver on {receiver.server} did not start")
        time.sleep(0.05)


@contextmanager
def receiver(
    folder: Path,
    address: str,
    port: int,
    *,
    delay: float = 0.0,
    silent: bool = False,
    inside: Sequence[str] = (),
) -> Iterator[Receiver]:
    """A receiver process listening on address:port; always stopped. `inside` prefixes its
    command (`ip netns exec NS` runs it in a network namespace)."""
    record = folder / f"received-{address}-{port}.jsonl"
    command: Sequence[str] = [
        *inside, sys.executable, "-m", "tests.faults.receiver", "--bind", address,
        "--port", str(port), "--record", str(record), "--delay", str(delay),
        *(["--silent"] if silent else []),
    ]  # fmt: skip
    log = (folder / f"receiver-{address}-{port}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    running = Receiver(address, port, record, process)
    try:
        _wait_ready(running)
        yield running
    finally:
        process.kill()
        process.wait(10)
        log.close()
