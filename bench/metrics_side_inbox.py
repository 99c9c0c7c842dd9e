"""What metrics cost a served node's inbox, the two variants side by side.

Run: .venv/bin/python -m bench.metrics_side_inbox [--database sqlite|postgresql|both]
     (about three minutes per database)

As bench/metrics_side.py does for the discovery GETs: two nodes, each with its own database
(SQLite file, or a PostgreSQL database of its own), one served with metrics off and one with
them on, run at the same time on the first core, each sent its own pre-signed POSTs by its own
load process (half the connections each): unique activities (stored), the same again
(duplicates) and forgeries (bad signatures). The actors, their keys and the activities are the
same for both nodes; only the host and port they are signed for differ. Whatever the host and
the database server do during a run, they do to both nodes, so the ratio of their rates is the
ratio of their costs a request: the median over the rounds of one minus that ratio is what
metrics cost, against the 10 % bound. Each round starts both nodes on emptied inboxes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench._cpu import process_cpu
from bench._inbox_load import load_command, write_pool
from bench._inbox_setup import (
    RemoteActor,
    counting_origin,
    recreate_database,
    remote_actors,
    reset_inbox,
    seed_actors,
    sign_pool,
)
from bench._metrics_cost import BOUND, LOGGED, OFF, ON, Variant
from bench._servers import as_load, free_port, pin, running
from bench.inbox import SMARTNODE, settings_of
from smartnode.federation.keys import generate_rsa_keypair

PATHS = ("(s) unique, stored", "(d) duplicates", "(x) bad signatures")
STATUS = {PATHS[0]: 202, PATHS[1]: 202, PATHS[2]: 401}
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"


@dataclass(slots=True)
class Node:
    """One variant's node: its port, environment, pools, and its process once up."""

    variant: Variant
    work: Path
    port: int
    env: dict[str, str]
    pid: int = 0

    @property
    def unique(self) -> Path:
        return self.work / "unique.pool"

    @property
    def forged(self) -> Path:
        return self.work / "forged.pool"


def make_node(variant: Variant, work: Path, database_url: str) -> Node:
    port = free_port()
    work.mkdir(parents=True)
    env = {"SMARTNODE_DATA_DIR": str(work / "node"), "SMARTNODE_DOMAIN": f"127.0.0.1:{port}",
           "SMARTNODE_BASE_URL": f"http://127.0.0.1:{port}",
           "SMARTNODE_IN_PROCESS_WORKER": "false", "SMARTNODE_INBOX_RATE_PER_MINUTE": "0",
           **({"SMARTNODE_DATABASE_URL": database_url} if database_url else {}),
           **variant.env}  # fmt: skip
    return Node(variant, work, port, env)


def prepare(node: Node, actors: list[RemoteActor], pool: int, forged: int, forger: str) -> None:
    """The node's database (init, the actors as fetched) and its two signed pools."""
    init = subprocess.run([SMARTNODE, "init"], env={**os.environ, **node.env}, capture_output=True)
    if init.returncode != 0:
        raise RuntimeError(f"smartnode init failed: {init.stderr.decode()}")
    asyncio.run(seed_actors(settings_of(node.env), actors))
    url = f"http://127.0.0.1:{node.port}/inbox"
    write_pool(node.unique, sign_pool(url, actors, 0, pool))
    write_pool(node.forged, sign_pool(url, actors, pool, forged, forger))


@contextmanager
def serving(node: Node) -> Iterator[Node]:
    command = [SMARTNODE, "serve", "--host", "127.0.0.1", "--port", str(node.port),
               "--log-level", node.variant.log_level]  # fmt: skip
    url = f"http://127.0.0.1:{node.port}/actor"
    with running(command, url, node.env, node.work / "serve.log") as process:
        node.pid = process.pid
        yield node


def at_once(
    nodes: list[Node],
    pools: list[Path],
    options: argparse.Namespace,
    *,
    cycle: bool,
    indices: list[list[int] | None],
) -> list[tuple[dict[str, Any], float]]:
    """Both load processes at once; each node's result and its CPU µs per answered request."""
    commands, outs = [], []
    for node, pool, chosen in zip(nodes, pools, indices, strict=True):
        out, picked = node.work / "load.json", None
        if chosen is not None:
            picked = node.work / "indices.json"
            picked.write_bytes(orjson.dumps(chosen))
        outs.append(out)
        commands.append(load_command(
            node.port, pool, out, connections=options.connections // 2, warmup=options.warmup,
            seconds=options.seconds, cycle=cycle, indices=picked))  # fmt: skip
    before = [process_cpu(node.pid) for node in nodes]
    processes = [subprocess.Popen(as_load(command)) for command in commands]
    for process in processes:
        if process.wait() != 0:
            raise RuntimeError("a load process failed")
    spent = [process_cpu(node.pid) - start for node, start in zip(nodes, before, strict=True)]
    found = []
    for out, cpu in zip(outs, spent, strict=True):
        result: dict[str, Any] = orjson.loads(out.read_bytes())
        found.append((result, cpu / max(1, sum(result["statuses"].values())) * 1e6))
    return found


def one_round(nodes: list[Node], options: argparse.Namespace) -> dict[str, list[float]]:
    """Both nodes up on emptied inboxes; s, d, x side by side: per path, the rates and CPU."""
    for node in nodes:
        asyncio.run(reset_inbox(settings_of(node.env)))
    figures: dict[str, list[float]] = {}
    with ExitStack() as stack:
        for node in nodes:
            stack.enter_context(serving(node))
        unique = at_once(nodes, [n.unique for n in nodes], options, cycle=False,
                         indices=[None, None])  # fmt: skip
        accepted = [result["accepted"] for result, _ in unique]
        repeated = at_once(nodes, [n.unique for n in nodes], options, cycle=True,
                           indices=accepted)  # fmt: skip
        forged = at_once(nodes, [n.forged for n in nodes], options, cycle=True,
                         indices=[None, None])  # fmt: skip
    for path, results in zip(PATHS, (unique, repeated, forged), strict=True):
        for result, _ in results:
            if set(result["statuses"]) != {str(STATUS[path])}:
                raise RuntimeError(f"{path}: expected only {STATUS[path]}: {result['statuses']}")
        figures[path] = [float(r["rate"]) for r, _ in results] + [cpu for _, cpu in results]
    return figures


def report(name: str, rounds: list[dict[str, list[float]]], second: str = "metrics on") -> None:
    print(f"\n{name}")
    for path in PATHS:
        runs = [r[path] for r in rounds]  # rate off, rate on, CPU off, CPU on
        costs = [1 - run[1] / run[0] for run in runs]
        cost = statistics.median(costs)
        off, on = (statistics.median(run[i] for run in runs) for i in (0, 1))
        cpu_off, cpu_on = (statistics.median(run[i] for run in runs) for i in (2, 3))
        verdict = "within" if cost <= BOUND else "ABOVE"
        print(
            f"{path}: metrics off {off:,.0f} req/s, {cpu_off:.0f} µs a request; "
            f"{second} {on:,.0f} req/s, {cpu_on:.0f} µs a request"
        )
        print(
            f"  {second} costs {cost:+.1%} of the rate (rounds {min(costs):+.1%} to "
            f"{max(costs):+.1%}; {verdict} the {BOUND:.0%} bound), "
            f"{cpu_on / cpu_off - 1:+.1%} CPU a request"
        )


def second_variant(options: argparse.Namespace) -> Variant:
    """The node compared with the one with metrics off."""
    return LOGGED if options.with_log else ON


def database_rounds(
    database: str,
    tmp: Path,
    options: argparse.Namespace,
    actors: list[RemoteActor],
    forger: str,
) -> list[dict[str, list[float]]]:
    names = ["bench_side_off", "bench_side_on"]
    pg = database == "postgresql"
    try:
        nodes = []
        second = second_variant(options)
        for variant, name in zip((OFF, second), names, strict=True):
            if pg:
                asyncio.run(recreate_database(f"{POSTGRES}/postgres", name))
            url = f"{POSTGRES}/{name}" if pg else ""
            nodes.append(make_node(variant, tmp / f"{database}-{name}", url))
        for node in nodes:
            prepare(node, actors, options.pool, options.forged, forger)
        return [one_round(nodes, options) for _ in range(options.runs)]
    finally:
        for name in names if pg else []:
            asyncio.run(recreate_database(f"{POSTGRES}/postgres", name, drop_only=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=5, help="rounds (median over them)")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=32, help="split between the nodes")
    parser.add_argument("--with-log", action="store_true",
                        help="the second node with the request log on too (to a file)")  # fmt: skip
    parser.add_argument("--pool", type=int, default=24_000, help="unique POSTs per node")
    parser.add_argument("--forged", type=int, default=1_000)
    options = parser.parse_args()
    pinning = pin(True)
    started = time.monotonic()
    databases = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp:
        origin_port = free_port()
        actors = remote_actors(f"http://127.0.0.1:{origin_port}", 4)
        forger, _ = generate_rsa_keypair()
        with counting_origin(origin_port, actors):
            results = {db: database_rounds(db, Path(tmp), options, actors, forger)
                       for db in databases}  # fmt: skip
    for database, rounds in results.items():
        second = second_variant(options).suffix.strip(", ")
        report("SQLite" if database == "sqlite" else "PostgreSQL", rounds, second)
    print(
        f"\n{options.runs} rounds, each run {options.warmup:.0f} s warm-up + "
        f"{options.seconds:.0f} s, both nodes at once, {options.connections // 2} "
        f"connections each; whole run {time.monotonic() - started:.0f} s; {pinning}"
    )


if __name__ == "__main__":
    main()
