"""Load process for bench/inbox.py: replays pre-signed raw HTTP requests on keep-alive connections.

    python -m bench._inbox_load --port P --pool FILE [--indices FILE] [--cycle] --out RESULT

Each of `--connections` connections sends one request, reads the whole answer, then sends the
next (the index of the next request comes from one shared cursor). Requests answered before
`--warmup` seconds count as warm-up; after `--warmup + --seconds` no new request is sent, every
connection finishes the one in flight, so each request sent has its answer counted: the result
(JSON) lists the pool indices answered 202 and counts every status.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path

import orjson
import uvloop

_LENGTH = struct.Struct(">I")


def load_command(
    port: int, pool: Path, out: Path, *, connections: int = 32, warmup: float = 1.0,
    seconds: float = 5.0, cycle: bool = False, indices: Path | None = None,
    mark: Path | None = None,
) -> list[str]:  # fmt: skip
    """argv of a load process replaying `pool` against 127.0.0.1:`port` (result in `out`)."""
    command = [sys.executable, "-m", "bench._inbox_load", "--port", str(port), "--pool",
               str(pool), "--out", str(out), "--connections", str(connections),
               "--warmup", str(warmup), "--seconds", str(seconds)]  # fmt: skip
    if cycle:
        command.append("--cycle")
    if indices is not None:
        command += ["--indices", str(indices)]
    if mark is not None:
        command += ["--mark", str(mark)]
    return command


def read_pool(path: Path) -> list[bytes]:
    """The raw requests of a pool file (each one prefixed by its 4-byte length)."""
    data = path.read_bytes()
    requests, at = [], 0
    while at < len(data):
        (size,) = _LENGTH.unpack_from(data, at)
        requests.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return requests


def write_pool(path: Path, requests: list[bytes]) -> None:
    """Write raw requests as a pool file."""
    path.write_bytes(b"".join(_LENGTH.pack(len(raw)) + raw for raw in requests))


@dataclass(slots=True)
class Tally:
    """What the connections saw."""

    run_from: float
    run_until: float
    statuses: Counter[int] = field(default_factory=Counter)
    accepted: list[int] = field(default_factory=list)
    measured: int = 0
    last: float = 0.0

    def record(self, index: int, status: int, moment: float) -> None:
        self.statuses[status] += 1
        if status == 202:
            self.accepted.append(index)
        if moment >= self.run_from:
            self.measured += 1
            self.last = moment


async def _answer_status(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer with a Content-Length body; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        size = int(lower[at + 17 : end])
        if size:
            await reader.readexactly(size)
    return status


async def _connection(
    port: int, requests: list[bytes], cursor: Iterator[int], tally: Tally
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for index in cursor:
            writer.write(requests[index])
            status = await _answer_status(reader)
            moment = time.monotonic()
            tally.record(index, status, moment)
            if moment >= tally.run_until:
                return
    finally:
        writer.close()


async def drive(
    port: int, requests: list[bytes], order: list[int], options: argparse.Namespace
) -> dict[str, object]:
    """Run the connections until the time is up (or the indices run out); the result."""
    cursor: Iterator[int] = cycle(order) if options.cycle else iter(order)
    started = time.monotonic()
    tally = Tally(started + options.warmup, started + options.warmup + options.seconds)
    if options.mark:  # another process may start measuring with us
        asyncio.get_running_loop().call_later(options.warmup, options.mark.touch)
    await asyncio.gather(
        *(_connection(port, requests, cursor, tally) for _ in range(options.connections))
    )
    finished = time.monotonic()
    window = tally.last - tally.run_from
    return {
        "rate": tally.measured / window if window > 0 else 0.0,
        "measured": tally.measured,
        "window": window,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "accepted": tally.accepted,
        "exhausted": finished < tally.run_until,
    }


def main() -> None:
    """Parse the arguments, replay the pool, write the result file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool", type=Path, required=True)
    parser.add_argument("--indices", type=Path, help="JSON list of pool indices to send, in order")
    parser.add_argument("--cycle", action="store_true", help="start again when the indices end")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--mark", type=Path, help="a file made when the measured part starts")
    options = parser.parse_args()
    requests = read_pool(options.pool)
    order = orjson.loads(options.indices.read_bytes()) if options.indices else range(len(requests))
    result = uvloop.run(drive(options.port, requests, list(order), options))
    options.out.write_bytes(orjson.dumps(result))


if __name__ == "__main__":
    main()
