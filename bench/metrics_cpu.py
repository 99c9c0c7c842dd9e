"""What metrics cost per request in the node's own CPU time, which a busy machine hardly moves:
the same node (made by the real CLI, as bench/actors.py makes it) served in this process through
its ASGI interface, no sockets, as two apps side by side, metrics off and on
(SMARTNODE_METRICS_TOKEN set): the cached actor GET and WebFinger GET, the cheapest requests a
node answers, where a fixed cost per request weighs most, and unique signed inbox POSTs stored
(32 at a time, so that the writer groups its commits as it does when served).

Run: .venv/bin/python -m bench.metrics_cpu [--blocks 30] [--requests 2000]
                                           [--database sqlite|postgresql]   (about two minutes)
                                           [--with-log] [--no-posts]

`--with-log`: the second app has the request log on too, its lines written as a served node
writes them (the logger set up by logs.server_log_config, JSON, into a file).

Blocks of requests alternate between the two apps (off-on, then on-off, …); a block's figure is
its process CPU time (time.process_time, the database driver's thread included) per request.
Printed per path: the least and median µs per request of each app over the blocks (the least is
what a request costs when nothing else interferes) and the difference, in µs and as a share of
the app's own cost with metrics off. The app's own cost is less than the request's in a server
(uvicorn's HTTP parsing and the socket come on top: compare the node CPU per request that
bench/actors.py and bench/inbox.py print).
"""

from __future__ import annotations

import argparse
import asyncio
import logging.config
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from itertools import count
from pathlib import Path
from typing import Any

from bench._databases import local_postgres, scratch_postgres
from bench._inbox_setup import remote_actors, seed_actors, sign_pool
from bench._servers import free_port
from bench.actors import USERNAME, node_env, seed_node
from smartnode.app import create_app
from smartnode.config import load_settings
from smartnode.logs import server_log_config

TOKEN = "bench-metrics-token-0123456789abcdef"
PG_NAME = "bench_metrics_cpu"
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


async def _gets(app: Any, _: int, *, scope: dict[str, Any], requests: int) -> float:
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


def _posted(raw: bytes) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope and body of a pre-signed raw HTTP request."""
    head, body = raw.split(b"\r\n\r\n", 1)
    request_line, *lines = head.split(b"\r\n")
    method, path, _ = request_line.split(b" ")
    headers = [(name.lower(), value) for name, value in (line.split(b": ", 1) for line in lines)]
    scope = _scope(path.decode(), "", "", "")
    scope.update(method=method.decode(), headers=headers)
    return scope, body


async def _post_block(app: Any, raws: list[bytes]) -> float:
    """CPU µs per POST of `raws`, 32 at a time; each must answer 202."""
    statuses: list[int] = []
    gate = asyncio.Semaphore(32)

    async def post(raw: bytes) -> None:
        scope, body = _posted(raw)
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Message:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        async with gate:
            await app(scope, receive, send)

    started = time.process_time()
    await asyncio.gather(*(post(raw) for raw in raws))
    spent = time.process_time() - started
    if set(statuses) != {202}:
        raise RuntimeError(f"inbox POSTs: answers {set(statuses)}")
    return spent / len(raws) * 1e6


async def alternate(
    apps: dict[str, Any], blocks: int, block: Callable[[Any, int], Awaitable[float]]
) -> dict[str, list[float]]:
    """`block(app, n)` for each app in turn, after one warm-up block each; the figures."""
    figures: dict[str, list[float]] = {"off": [], "on": []}
    calls = count()  # each block its own number (for POSTs: a slice never sent before)
    for label in figures:  # warm both: caches filled, code paths taken
        await block(apps[label], next(calls))
    for index in range(blocks):
        for label in ("off", "on") if index % 2 == 0 else ("on", "off"):
            figures[label].append(await block(apps[label], next(calls)))
    return figures


async def measure(env: dict[str, str], options: argparse.Namespace) -> None:
    domain, base_url = env["SMARTNODE_DOMAIN"], env["SMARTNODE_BASE_URL"]
    paths = {
        "actor GET": _scope(f"/members/{USERNAME}", "", "application/activity+json", domain),
        "WebFinger GET": _scope("/.well-known/webfinger", f"resource=acct:{USERNAME}@{domain}",
                                "application/jrd+json", domain),
    }  # fmt: skip
    actors = remote_actors("http://127.0.0.1:9", 4)  # stored as fetched: never fetched again
    size, total = options.posts, options.posts * (2 * options.blocks + 2)
    raws = sign_pool(f"{base_url}/inbox", actors, 0, total) if size else []
    apps, second = {}, "with log" if options.with_log else "on"
    for label, token in (("off", None), ("on", TOKEN)):
        settings = load_settings(
            data_dir=Path(env["SMARTNODE_DATA_DIR"]), domain=domain, base_url=base_url,
            database_url=env.get("SMARTNODE_DATABASE_URL", ""), metrics_token=token,
            in_process_worker=False, inbox_rate_per_minute=0,
            request_log=options.with_log and token is not None,
        )  # fmt: skip
        apps[label] = create_app(settings)
    await seed_actors(settings, actors)
    off, on = apps["off"], apps["on"]
    async with off.router.lifespan_context(off), on.router.lifespan_context(on):
        for name, scope in paths.items():
            gets = partial(_gets, scope=scope, requests=options.requests)
            report(name, await alternate(apps, options.blocks, gets), second)

        async def posts(app: Any, n: int) -> float:  # block n: POSTs never sent before
            return await _post_block(app, raws[n * size : (n + 1) * size])

        if options.posts:
            report("inbox POST", await alternate(apps, options.blocks, posts), second)


def log_as_served(path: Path) -> None:
    """The process's loggers as `smartnode serve --log-level info` sets them, in JSON, the
    request log's lines into `path`."""
    logging.config.dictConfig(server_log_config("info", "json"))
    (buffer,) = logging.getLogger("smartnode.request").handlers
    assert isinstance(buffer, logging.StreamHandler)
    buffer.setStream(path.open("w"))  # open while the process runs


def report(name: str, figures: dict[str, list[float]], second: str = "on") -> None:
    off, on = min(figures["off"]), min(figures["on"])
    med_off, med_on = statistics.median(figures["off"]), statistics.median(figures["on"])
    print(f"{name:<15} metrics off {off:6.1f} µs (median {med_off:6.1f}), {second} {on:6.1f} µs "
          f"(median {med_on:6.1f}): +{on - off:.1f} µs a request, {(on - off) / off:+.1%} of "
          f"the app's own CPU (medians {(med_on - med_off) / med_off:+.1%})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=30, help="blocks per app and path")
    parser.add_argument("--requests", type=int, default=2000, help="GETs per block")
    parser.add_argument("--posts", type=int, default=400, help="inbox POSTs per block (0: none)")
    parser.add_argument("--with-log", action="store_true",
                        help="the second app with the request log on too")  # fmt: skip
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres", default=local_postgres(),
                        help=f"PostgreSQL's socket directory or host:port ({PG_NAME} is made, "
                        "then dropped)")  # fmt: skip
    options = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp:
        env = node_env(Path(tmp) / "node", free_port())
        if options.database == "postgresql":
            url = asyncio.run(scratch_postgres(options.postgres, PG_NAME, create=True))
            env["SMARTNODE_DATABASE_URL"] = url
        try:
            seed_node(env)
            if options.with_log:
                log_as_served(Path(tmp) / "requests.log")
            asyncio.run(measure(env, options))
        finally:
            if options.database == "postgresql":
                asyncio.run(scratch_postgres(options.postgres, PG_NAME, create=False))
    print(f"{options.database}; {options.blocks} blocks per app and path, alternating, of "
          f"{options.requests} GETs or {options.posts} POSTs; whole run "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
