"""What metrics cost per request in the node's own CPU time, which a busy machine hardly moves:
the same node (a SQLite file made by the real CLI, as bench/actors.py makes it) served in this
process through its ASGI interface, no sockets, as two apps side by side, metrics off and on
(SMARTNODE_METRICS_TOKEN set), for the cached actor GET and WebFinger GET, the cheapest
requests a node answers, where a fixed cost per request weighs most.

Run: .venv/bin/python -m bench.metrics_cpu [--blocks 30] [--requests 2000]   (about a minute)

Blocks of requests alternate between the two apps (off-on, then on-off, …); a block's figure is
its process CPU time (time.process_time) per request. Printed per path: the least and median
µs per request of each app over the blocks (the least is what a request costs when nothing
else interferes) and the difference, in µs and as a share of the app's own cost with metrics
off. The app's own cost is less than the request's in a server (uvicorn's HTTP parsing and the
socket come on top: compare the node CPU per request bench/actors.py prints).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from bench._servers import free_port
from bench.actors import USERNAME, node_env, seed_node
from smartnode.app import create_app
from smartnode.config import load_settings

TOKEN = "bench-metrics-token-0123456789abcdef"
Message = MutableMapping[str, Any]


def _scope(path: str, query: str, accept: str, domain: str) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
        "headers": [(b"host", domain.encode()), (b"accept", accept.encode())],
    }  # fmt: skip


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _block(app: Any, scope: dict[str, Any], requests: int) -> float:
    """CPU µs per request of `requests` calls; each must answer 200."""
    statuses: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(requests):
        await app(dict(scope), _receive, send)
    spent = time.process_time() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"{scope['path']}: answers {set(statuses)}")
    return spent / requests * 1e6


async def measure(env: dict[str, str], blocks: int, requests: int) -> None:
    domain = env["SMARTNODE_DOMAIN"]
    paths = {
        "actor GET": _scope(f"/members/{USERNAME}", "", "application/activity+json", domain),
        "WebFinger GET": _scope("/.well-known/webfinger", f"resource=acct:{USERNAME}@{domain}",
                                "application/jrd+json", domain),
    }  # fmt: skip
    apps = {}
    for label, token in (("off", None), ("on", TOKEN)):
        settings = load_settings(
            data_dir=Path(env["SMARTNODE_DATA_DIR"]), domain=domain,
            base_url=env["SMARTNODE_BASE_URL"], metrics_token=token, in_process_worker=False,
        )  # fmt: skip
        apps[label] = create_app(settings)
    off, on = apps["off"], apps["on"]
    async with off.router.lifespan_context(off), on.router.lifespan_context(on):
        for name, scope in paths.items():
            figures: dict[str, list[float]] = {"off": [], "on": []}
            for label in figures:  # warm both: caches filled, code paths taken
                await _block(apps[label], scope, requests)
            for index in range(blocks):
                for label in ("off", "on") if index % 2 == 0 else ("on", "off"):
                    figures[label].append(await _block(apps[label], scope, requests))
            report(name, figures)


def report(name: str, figures: dict[str, list[float]]) -> None:
    off, on = min(figures["off"]), min(figures["on"])
    med_off, med_on = statistics.median(figures["off"]), statistics.median(figures["on"])
    print(f"{name:<15} metrics off {off:6.1f} µs (median {med_off:6.1f}), on {on:6.1f} µs "
          f"(median {med_on:6.1f}): +{on - off:.1f} µs a request, {(on - off) / off:+.1%} of "
          f"the app's own CPU (medians {(med_on - med_off) / med_off:+.1%})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=30, help="blocks per app and path")
    parser.add_argument("--requests", type=int, default=2000, help="requests per block")
    options = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp:
        env = node_env(Path(tmp) / "node", free_port())
        seed_node(env)
        asyncio.run(measure(env, options.blocks, options.requests))
    print(f"{options.blocks} blocks of {options.requests} requests per app and path, "
          f"alternating; whole run {time.monotonic() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
