"""The board page and a call page of a real node against the same templates rendered from memory.

Run: .venv/bin/python -m bench.pages   (about two minutes; installs wrk with apt-get if missing)

A node (`smartnode init`, `smartnode seed`, then open calls of the seeded projects until the
node has 50) is served two ways, each alone on 127.0.0.1 with one uvicorn worker (uvloop,
httptools, no access log):
  (s) `smartnode serve` (no worker inside) as it runs by default: visitors' pages are kept
      rendered for SMARTNODE_PAGE_CACHE_SECONDS (web/page_cache.py);
  (s0) the same with SMARTNODE_PAGE_CACHE_SECONDS=0: each GET runs the board's query or reads
      the call, builds the views and renders the page;
  (a) bench._pages_app: a FastAPI route rendering the same template with the context the node
      passed to it, held in memory (the node's Jinja environment, filters and catalogs).
All answer a signed-out visitor in English. Servers take turns in rounds (s, s0, a, ...) so
background noise hits both alike; wrk drives /board (the first page: 20 of the 50 calls, the
facets' lists) and one call's page after a short warm-up; medians over the rounds and the
ratios s/a and s0/a are printed. Target: s/a >= 0.5 on both pages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bench._servers import Load, ensure_wrk, free_port, running, uvicorn_command, wrk_once
from smartnode.actors.records import find_local_actor, node_uris
from smartnode.config import Settings, load_settings
from smartnode.content.terms import CALL
from smartnode.seed.catalog import load_country
from smartnode.seed.content import publish_call
from smartnode.storage.db import Database
from smartnode.storage.models import ContentObject

TARGET = 0.5
CALLS = 50
NODE = "(s) smartnode serve"
UNCACHED = "(s0) the same, page cache off"
ROUTE = "(a) FastAPI, template from memory"
SMARTNODE = str(Path(sys.executable).parent / "smartnode")


def node_env(work: Path, port: int) -> dict[str, str]:
    """The node under test: its own SQLite file, on 127.0.0.1:`port`, no worker inside."""
    return {"SMARTNODE_DATA_DIR": str(work / "node"), "SMARTNODE_DOMAIN": f"127.0.0.1:{port}",
            "SMARTNODE_BASE_URL": f"http://127.0.0.1:{port}",
            "SMARTNODE_IN_PROCESS_WORKER": "false", "SMARTNODE_NODE_COUNTRY": "SE",
            "SMARTNODE_DEFAULT_LANGUAGE": "en"}  # fmt: skip


def settings_of(env: dict[str, str]) -> Settings:
    return load_settings(
        data_dir=Path(env["SMARTNODE_DATA_DIR"]), domain=env["SMARTNODE_DOMAIN"],
        base_url=env["SMARTNODE_BASE_URL"],
    )  # fmt: skip


async def fill(settings: Settings) -> str:
    """Open calls of the seeded projects until there are CALLS; the path of one of them."""
    db, now = Database(settings), datetime.now(UTC)
    seeds = load_country("SE").calls
    try:
        async with db.session() as session, session.begin():
            count = select(func.count()).where(ContentObject.kind == CALL)
            n = int(await session.scalar(count) or 0)
            while n < CALLS:
                seed = seeds[n % len(seeds)]
                project = await find_local_actor(session, seed.project)
                assert project is not None, seed.project
                await publish_call(session, node_uris(settings), project, seed, now)
                n += 1
            uri = await session.scalar(
                select(ContentObject.uri).where(ContentObject.kind == CALL).limit(1)
            )
        assert uri is not None
        return urlsplit(uri).path
    finally:
        await db.dispose()


def prepare(env: dict[str, str]) -> str:
    """`smartnode init`, `smartnode seed`, CALLS open calls; the path of a call's page."""
    for args in (["init"], ["seed"]):
        subprocess.run([SMARTNODE, *args], env={**os.environ, **env}, check=True,
                       capture_output=True)  # fmt: skip
    return asyncio.run(fill(settings_of(env)))


@contextmanager
def serve_node(env: dict[str, str], port: int) -> Iterator[str]:
    command = [SMARTNODE, "serve", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/board", env):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def serve_reference(env: dict[str, str], paths: list[str]) -> Iterator[str]:
    port = free_port()
    with running(
        uvicorn_command("bench._pages_app:reference_app", port),
        f"http://127.0.0.1:{port}/board",
        {**env, "SMARTNODE_BENCH_PAGES": ",".join(paths)},
    ):
        yield f"http://127.0.0.1:{port}"


def measure(wrk: str, origin: str, paths: list[str], load: Load, warmup: float) -> list[float]:
    """One warmed-up wrk run per path: requests per second."""
    figures = []
    for path in paths:
        wrk_once(wrk, origin + path, replace(load, seconds=warmup))
        figures.append(wrk_once(wrk, origin + path, load))
    return figures


def report(runs: dict[str, list[list[float]]], names: list[str]) -> bool:
    """Print medians (and spread) per server and page, and the ratios; True when on target."""
    print(f"\n{'server':<36}" + "".join(f"{name:>24}" for name in names))
    for server, figures in runs.items():
        cells = []
        for i in range(len(names)):
            values = [f[i] for f in figures]
            cells.append(
                f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"
            )
        print(f"{server:<36}" + "".join(f"{cell:>24}" for cell in cells))

    def ratios(server: str) -> list[float]:
        return [
            statistics.median(f[i] for f in runs[server])
            / statistics.median(f[i] for f in runs[ROUTE])
            for i in range(len(names))
        ]

    for label, server in (("s/a", NODE), ("s0/a", UNCACHED)):
        found = ratios(server)
        print(
            f"ratio {label}: "
            + ", ".join(f"{n} {r:.2f}" for n, r in zip(names, found, strict=True))
        )
    met = min(ratios(NODE)) >= TARGET
    print(f"target s/a >= {TARGET}: {'meets' if met else 'BELOW'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median over them)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up before each run")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    started = time.monotonic()
    wrk = ensure_wrk()
    load = Load(connections=args.connections, seconds=args.seconds, accept="text/html")
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-pages-") as tmp:
        port = free_port()
        env = node_env(Path(tmp), port)
        paths = ["/board", prepare(env)]
        names = ["board (20 of 50 calls)", "a call's page"]
        runs: dict[str, list[list[float]]] = {NODE: [], UNCACHED: [], ROUTE: []}
        uncached = {**env, "SMARTNODE_PAGE_CACHE_SECONDS": "0"}
        for _ in range(args.runs):
            for server, server_env in ((NODE, env), (UNCACHED, uncached)):
                with serve_node(server_env, port) as origin:
                    runs[server].append(measure(wrk, origin, paths, load, args.warmup))
            with serve_reference(env, paths) as origin:
                runs[ROUTE].append(measure(wrk, origin, paths, load, args.warmup))
    report(runs, names)
    print(f"\n{args.runs} rounds of {args.seconds:.0f} s wrk runs per page after "
          f"{args.warmup:.0f} s warm-up, -t{load.threads} -c{load.connections}; "
          f"whole run {time.monotonic() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
