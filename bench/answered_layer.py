"""What the answered-requests layer (ops/answered.py) costs in-process, around an app that does
nothing: none, metrics, the request log, both. The request log writes as a served node's does
(the logger set up by logs.server_log_config, JSON, into a file).

Run: .venv/bin/python -m bench.answered_layer [--blocks 30] [--requests 5000]   (about a minute)

Blocks of requests go to each variant in turn; printed per variant: the least and the median µs
of process CPU a request over the blocks, and the least's difference to the bare app. A served
node pays about three times as much (uvicorn's side of the wrapped `send`, colder caches):
bench/metrics_side.py measures that, side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.metrics_cpu import log_as_served
from smartnode.ops.answered import AnsweredRequests
from smartnode.ops.metrics import NodeMetrics
from smartnode.ops.request_log import RequestLines


class _Route:
    path = "/members/{username}"


async def bare_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/activity+json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b"{}"})


SCOPE: dict[str, Any] = {
    "type": "http", "method": "GET", "path": "/members/anna", "route": _Route(),
    "headers": [(b"host", b"node.example"), (b"accept", b"application/activity+json")],
}  # fmt: skip


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


async def block(app: ASGIApp, requests: int) -> float:
    """µs of process CPU a request over `requests` requests."""
    started = time.process_time()
    for _ in range(requests):
        await app(dict(SCOPE), _receive, _send)
    return (time.process_time() - started) / requests * 1e6


async def measure(blocks: int, requests: int) -> dict[str, list[float]]:
    variants: dict[str, ASGIApp] = {
        "bare app": bare_app,
        "metrics": AnsweredRequests(bare_app, NodeMetrics()),
        "request log": AnsweredRequests(bare_app, None, RequestLines()),
        "metrics + request log": AnsweredRequests(bare_app, NodeMetrics(), RequestLines()),
    }
    figures: dict[str, list[float]] = {name: [] for name in variants}
    for app in variants.values():  # warm up
        await block(app, requests)
    for _ in range(blocks):
        for name, app in variants.items():
            figures[name].append(await block(app, requests))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=30)
    parser.add_argument("--requests", type=int, default=5000, help="requests per block")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp:
        log_as_served(Path(tmp) / "requests.log")
        figures = asyncio.run(measure(args.blocks, args.requests))
    bare = min(figures["bare app"])
    for name, values in figures.items():
        print(f"{name:<22} least {min(values):5.2f} µs, median {statistics.median(values):5.2f}"
              f" µs a request; {min(values) - bare:+.2f} µs over the bare app")  # fmt: skip
    print(f"{args.blocks} blocks of {args.requests} requests per variant, in turn")


if __name__ == "__main__":
    main()
