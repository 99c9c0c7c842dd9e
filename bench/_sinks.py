"""Remote inboxes on loopback for the delivery benches: processes that answer every request with
202 on keep-alive connections, or accept connections and never answer (dead hosts). Each process
listens on as many 127.0.0.1 ports as asked (one port, one remote host) and counts the POSTs it
answered per port; `GET /_count` on any of its ports answers those counts as JSON.

    python -m bench._sinks --ports 250 [--silent]   (prints its ports as one JSON line)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import uvloop

REPLY = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
#: A sink stops by itself after this long, even if the bench that started it died.
LIFETIME = 1800.0


class _Sink(asyncio.Protocol):
    """Minimal keep-alive HTTP/1.1 inbox: reads each request (Content-Length) and answers 202."""

    def __init__(self, port: int, counts: Counter[int]) -> None:
        self.port, self.counts = port, counts

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop > 0 else None]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            if head.startswith(b"get /_count "):
                body = orjson.dumps({str(port): n for port, n in self.counts.items()})
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                                     % (len(body), body))  # fmt: skip
                continue
            self.counts[self.port] += 1
            self.transport.write(REPLY)


class _Silent(asyncio.Protocol):
    """Accepts and never answers (a dead host that still takes connections)."""

    def data_received(self, data: bytes) -> None:
        return None


async def _serve(count: int, silent: bool, seconds: float) -> None:
    """Listen on `count` free ports, print them (one JSON line), serve for `seconds`."""
    loop = asyncio.get_running_loop()
    counts: Counter[int] = Counter()
    servers, ports = [], []
    for _ in range(count):
        holder: list[int] = []

        def protocol(holder: list[int] = holder) -> asyncio.Protocol:
            return _Silent() if silent else _Sink(holder[0], counts)

        server = await loop.create_server(protocol, "127.0.0.1", 0, backlog=4096)
        holder.append(server.sockets[0].getsockname()[1])
        servers.append(server)
        ports.append(holder[0])
    sys.stdout.write(orjson.dumps(ports).decode() + "\n")
    sys.stdout.flush()
    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Sinks:
    """Running sink processes: the ports of each answering process, and the silent ports."""

    groups: list[list[int]]
    silent: list[int]
    pids: list[int]

    @property
    def answering(self) -> list[int]:
        return [port for group in self.groups for port in group]

    def counts(self) -> Counter[int]:
        """POSTs answered so far, per port."""
        total: Counter[int] = Counter()
        for group in self.groups:
            answer = httpx.get(f"http://127.0.0.1:{group[0]}/_count", timeout=10)
            total.update({int(port): n for port, n in answer.json().items()})
        return total


@contextmanager
def sinks(processes: int, silent: int = 0, ports_each: int = 1) -> Iterator[Sinks]:
    """`processes` answering sinks and `silent` never-answering ones, each its own process
    listening on `ports_each` ports; all stopped when the block ends."""
    started = []
    try:
        for n in range(processes + silent):
            command = [sys.executable, "-m", "bench._sinks", "--ports", str(ports_each),
                       *(["--silent"] if n >= processes else [])]  # fmt: skip
            started.append(subprocess.Popen(command, stdout=subprocess.PIPE,
                                            start_new_session=True))  # fmt: skip
        groups = []
        for process in started:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("a sink process exited before listening")
            groups.append(orjson.loads(line))
        silent_ports = [port for group in groups[processes:] for port in group]
        yield Sinks(groups[:processes], silent_ports, [process.pid for process in started])
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=1, help="ports to listen on")
    parser.add_argument("--silent", action="store_true", help="accept and never answer")
    parser.add_argument("--seconds", type=float, default=LIFETIME)
    options = parser.parse_args()
    uvloop.run(_serve(options.ports, options.silent, options.seconds))


if __name__ == "__main__":
    main()
