"""The board page and a call page of a real node against the same templates rendered from memory.

Run: .venv/bin/python -m bench.pages   (about three minutes; installs wrk with apt-get if missing)

A node (`smartnode init`, `smartnode seed`, then open calls of the seeded projects until the
node has 50) is served several ways, each alone on 127.0.0.1 with one uvicorn worker (uvloop,
httptools, no access log):
  (s) `smartnode serve` (no worker inside) as it runs by default: visitors' pages are kept
      rendered for SMARTNODE_PAGE_CACHE_SECONDS (web/page_cache.py);
  (s0) the same with SMARTNODE_PAGE_CACHE_SECONDS=0, everything else as by default: each GET
      renders its page anew, as every signed-in member's does; what the page shows of the
      database is the node's kept views (web/view_cache.py: read once, dropped by any commit
      to what they show, a deadline passing, or SMARTNODE_VIEW_CACHE_SECONDS);
  (s1) with --cold only: the same with SMARTNODE_VIEW_CACHE_SECONDS=0 too, so each GET also
      reads the database (the board's query, or the call, its project, labels and replies);
  (a) bench._pages_app: a FastAPI route rendering the same template with the context the node
      passed to it, held in memory (the node's Jinja environment, filters and catalogs).
All answer a signed-out visitor in English. Servers take turns in rounds (s, s0, [s1,] a, ...)
so background noise hits them alike; wrk drives /board (the first page: 20 of the 50 calls,
the facets' lists) and one call's page after a short warm-up; medians over the rounds and the
ratios to (a) are printed. Target: s/a >= 0.5 and s0/a >= 0.5 on both pages.
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
COLD = "(s1) page cache and kept views off"
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

    labels = {NODE: "s/a", UNCACHED: "s0/a", COLD: "s1/a"}
    for server, label in labels.items():
        if runs.get(server):
            found = ratios(server)
            print(
                f"ratio {label}: "
                + ", ".join(f"{n} {r:.2f}" for n, r in zip(names, found, strict=True))
            )
    met = min(ratios(NODE) + ratios(UNCACHED)) >= TARGET
    print(f"target s/a and s0/a >= {TARGET}: {'meets' if met else 'BELOW'}")
    return met


def explain() -> None:
    """What each server is, printed with the figures."""
    print(
        "\n(s)  smartnode serve as by default (no worker inside): visitors' pages kept rendered"
        "\n(s0) page cache off (SMARTNODE_PAGE_CACHE_SECONDS=0), everything else as by default:"
        "\n     every page rendered anew, as for a signed-in member, from the node's kept views"
        "\n     (read once; dropped by any commit to what they show, a deadline, or"
        "\n     SMARTNODE_VIEW_CACHE_SECONDS)"
        "\n(s1) page cache and kept views off: every page read from the database and rendered"
        "\n(a)  the same template rendered from the context held in memory (no database)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median over them)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up before each run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cold", action="store_true",
                        help="also serve (s1): page cache and kept views off")  # fmt: skip
    args = parser.parse_args()
    started = time.monotonic()
    load_at_start = os.getloadavg()
    wrk = ensure_wrk()
    load = Load(connections=args.connections, seconds=args.seconds, accept="text/html")
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-pages-") as tmp:
        port = free_port()
        env = node_env(Path(tmp), port)
        paths = ["/board", prepare(env)]
        names = ["board (20 of 50 calls)", "a call's page"]
        runs: dict[str, list[list[float]]] = {NODE: [], UNCACHED: [], COLD: [], ROUTE: []}
        uncached = {**env, "SMARTNODE_PAGE_CACHE_SECONDS": "0"}
        servers = [(NODE, env), (UNCACHED, uncached)]
        if args.cold:
            servers.append((COLD, {**uncached, "SMARTNODE_VIEW_CACHE_SECONDS": "0"}))
        for _ in range(args.runs):
            for server, server_env in servers:
                with serve_node(server_env, port) as origin:
                    runs[server].append(measure(wrk, origin, paths, load, args.warmup))
            with serve_reference(env, paths) as origin:
                runs[ROUTE].append(measure(wrk, origin, paths, load, args.warmup))
    explain()
    report({k: v for k, v in runs.items() if v}, names)
    print(f"\n{args.runs} rounds of {args.seconds:.0f} s wrk runs per page after "
          f"{args.warmup:.0f} s warm-up, -t{load.threads} -c{load.connections}; "
          f"whole run {time.monotonic() - started:.0f} s")  # fmt: skip
    print("load average (1, 5, 15 min) at start: "
          + ", ".join(f"{x:.2f}" for x in load_at_start) + "; at the end: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))  # fmt: skip


if __name__ == "__main__":
    main()
