"""Signed inbox POSTs: stored and enqueued by a real node, against a verify-only FastAPI route.

Run: .venv/bin/python -m bench.inbox   (about three minutes: SQLite, then PostgreSQL)

Before any measurement: remote actors with RSA-2048 keys are stored in the node's database (as
if fetched), and Create{Note} POSTs to /inbox are signed as Mastodon signs them (draft-cavage
over (request-target) host date digest content-type): a pool of unique activities, and
forgeries (the actors' key ids, signed with another key). A separate load process
(bench/_inbox_load.py) replays them on 32 keep-alive connections. Two servers, one uvicorn
worker each (uvloop, httptools, no access log):
  (r) a bare FastAPI route that only verifies the signature with a cached key object → 202;
  (s) `smartnode serve`, /inbox, unique activities: verified, stored, enqueued → 202;
  (d) the same node process, the activities it accepted in (s) again (duplicates) → 202;
  (x) the same node process, forged signatures → 401.
A round starts both servers (each idles while the other is loaded) and runs r, s, d, x, r; the
round's reference is the mean of its two (r) runs. The node runs with
SMARTNODE_IN_PROCESS_WORKER=false (no worker competing for the core) and
SMARTNODE_INBOX_RATE_PER_MINUTE=0 (no per-host limit), and the default address guard. After
each round the bench checks that the stored rows are exactly the activities answered 202
(duplicates stored nothing, every forgery got 401) and that the actors' origin, a counting
server on loopback, got no request; it reports how many key refetches the node tried (the
rotation rule allows one per failing key within a per-host budget) that the address guard
refused before connecting. Printed: req/s medians over the rounds and the median of the
rounds' ratios s/r, d/r, x/r.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench._cpu import process_cpu
from bench._inbox_load import load_command, write_pool
from bench._inbox_setup import (
    CountingOrigin,
    RemoteActor,
    activity_id,
    counting_origin,
    recreate_database,
    remote_actors,
    reset_inbox,
    seed_actors,
    sign_pool,
    stored,
)
from bench._metrics_cost import CHOICES, Variant, cost_lines, cpu_lines, in_turn, variants
from bench._servers import as_load, free_port, pin, running, uvicorn_command
from smartnode.config import Settings, load_settings
from smartnode.federation.keys import generate_rsa_keypair

STORE_TARGET = 0.5
REFUSE_TARGET = 0.8
REFERENCE = "(r) FastAPI route, verify only"
UNIQUE = "(s) node, unique activities"
DUPLICATE = "(d) node, duplicates"
FORGED = "(x) node, bad signatures"
CPU = "node CPU µs a request: "
TARGETS = (("s/r", UNIQUE, STORE_TARGET), ("d/r", DUPLICATE, REFUSE_TARGET),
           ("x/r", FORGED, REFUSE_TARGET))  # fmt: skip
SMARTNODE = str(Path(sys.executable).parent / "smartnode")
PG_NAME = "bench_inbox"

Round = dict[str, float]  # req/s by path in one round; (r) is the mean of its two runs


@dataclass(slots=True)
class Bench:
    """What every round shares: options, ports, actors, pool files, the counting origin."""

    work: Path
    options: argparse.Namespace
    node_port: int
    origin: CountingOrigin
    actors: list[RemoteActor]
    notes: list[str] = field(default_factory=list)

    @property
    def node_origin(self) -> str:
        return f"http://127.0.0.1:{self.node_port}"

    @property
    def unique(self) -> Path:
        return self.work / "unique.pool"

    @property
    def forged(self) -> Path:
        return self.work / "forged.pool"


def load(
    bench: Bench, port: int, pool: Path, indices: list[int] | None = None, *, cycle: bool = True
) -> dict[str, Any]:
    """One warm-up + measured run of the load process: `indices` (default: the whole pool)
    over and over, or once each when not `cycle` (unique activities)."""
    out, options, chosen = bench.work / "load.json", bench.options, None
    if indices is not None:
        chosen = bench.work / "indices.json"
        chosen.write_bytes(orjson.dumps(indices))
    command = load_command(port, pool, out, connections=options.connections,
                           warmup=options.warmup, seconds=options.seconds, cycle=cycle,
                           indices=chosen)  # fmt: skip
    subprocess.run(as_load(command), check=True)
    result: dict[str, Any] = orjson.loads(out.read_bytes())
    if result["exhausted"]:
        bench.notes.append(f"the pool ran out after {result['measured']} measured requests")
    return result


def only(result: dict[str, Any], status: int, what: str) -> float:
    """The run's rate, after checking that every answer had `status`."""
    if set(result["statuses"]) != {str(status)}:
        raise RuntimeError(f"{what}: expected only {status}, got {result['statuses']}")
    return float(result["rate"])


def node_env(bench: Bench, database_url: str) -> dict[str, str]:
    """Environment of the node under test."""
    env = {
        "SMARTNODE_DATA_DIR": str(bench.work / "node"),
        "SMARTNODE_DOMAIN": f"127.0.0.1:{bench.node_port}",
        "SMARTNODE_BASE_URL": bench.node_origin,
        "SMARTNODE_IN_PROCESS_WORKER": "false",
        "SMARTNODE_INBOX_RATE_PER_MINUTE": "0",
    }
    if database_url:
        env["SMARTNODE_DATABASE_URL"] = database_url
    return env


def settings_of(env: dict[str, str]) -> Settings:
    return load_settings(
        data_dir=Path(env["SMARTNODE_DATA_DIR"]), domain=env["SMARTNODE_DOMAIN"],
        base_url=env["SMARTNODE_BASE_URL"], database_url=env.get("SMARTNODE_DATABASE_URL", ""),
    )  # fmt: skip


@contextmanager
def serve_reference(bench: Bench) -> Iterator[int]:
    """(r): the verify-only route on a port of its own; yields the port."""
    port = free_port()
    env = {"SMARTNODE_BENCH_KEYS": str(bench.work / "keys.json"),
           "SMARTNODE_BENCH_BASE_URL": bench.node_origin}  # fmt: skip
    command = uvicorn_command("bench._inbox_apps:verify_only_app", port)
    with running(command, f"http://127.0.0.1:{port}/inbox", env):
        yield port


def one_round(bench: Bench, env: dict[str, str], index: int) -> Round:
    """The reference up, then each node variant in turn (in the opposite order every other
    round): r, then s, d, x of each, then r; the stored rows and the origin are checked after
    each variant."""
    figures: Round = {}
    with serve_reference(bench) as port:
        first = only(load(bench, port, bench.unique), 202, "(r)")
        for variant in in_turn(variants(bench.options.metrics), index):
            figures.update(node_runs(bench, env, variant))
        last = only(load(bench, port, bench.unique), 202, "(r)")
    figures[REFERENCE] = (first + last) / 2
    return figures


def node_runs(bench: Bench, base_env: dict[str, str], variant: Variant) -> Round:
    """One node process on an emptied inbox: s, d, x; then its rows and the origin checked."""
    env, suffix = {**base_env, **variant.env}, variant.suffix
    settings = settings_of(env)
    asyncio.run(reset_inbox(settings))
    before = bench.origin.requests
    command = [SMARTNODE, "serve", "--host", "127.0.0.1", "--port", str(bench.node_port),
               "--log-level", variant.log_level]  # fmt: skip
    figures: Round = {}
    log = bench.work / "serve.log"
    with running(command, f"{bench.node_origin}/actor", env, log) as node:

        def measured(path: str, status: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
            """A load run; the node's rate and its CPU µs per answered request go in figures."""
            spent = process_cpu(node.pid)
            result = load(bench, bench.node_port, *args, **kwargs)
            answered = sum(result["statuses"].values())
            figures[CPU + path + suffix] = (process_cpu(node.pid) - spent) / answered * 1e6
            figures[path + suffix] = only(result, status, path)
            return result

        unique = measured(UNIQUE, 202, bench.unique, cycle=False)
        measured(DUPLICATE, 202, bench.unique, unique["accepted"])
        measured(FORGED, 401, bench.forged)
    check_rows(bench, settings, unique["accepted"], bench.origin.requests - before)
    return figures


def check_rows(bench: Bench, settings: Settings, accepted: list[int], fetched: int) -> None:
    """Stored rows are exactly the activities answered 202; the origin saw no request."""
    uris, rows, failures = asyncio.run(stored(settings))
    expected = {activity_id(bench.actors[i % len(bench.actors)], i) for i in accepted}
    if rows != len(accepted) or uris != expected:
        raise RuntimeError(f"{rows} rows stored for {len(accepted)} answers 202")
    if fetched:
        raise RuntimeError(f"the actors' origin got {fetched} requests during the round")
    bench.notes.append(
        f"{settings.database_url.split(':')[0]}: {rows} rows = {rows} answers 202, duplicates "
        f"stored nothing, origin requests 0, key refetches tried and refused by the address "
        f"guard {failures}"
    )


def database_runs(bench: Bench, database_url: str) -> list[Round]:
    """Init and seed the node's database, then the rounds."""
    env = node_env(bench, database_url)
    init = subprocess.run([SMARTNODE, "init"], env={**os.environ, **env}, capture_output=True)
    if init.returncode != 0:
        raise RuntimeError(f"smartnode init failed: {init.stderr.decode()}")
    asyncio.run(seed_actors(settings_of(env), bench.actors))
    return [one_round(bench, env, index) for index in range(bench.options.runs)]


def postgres_runs(bench: Bench) -> list[Round]:
    """The rounds on a database `bench_inbox` created for the run and dropped after it."""
    admin = f"{bench.options.postgres}/postgres"
    asyncio.run(recreate_database(admin, PG_NAME))
    try:
        return database_runs(bench, f"{bench.options.postgres}/{PG_NAME}")
    finally:
        asyncio.run(recreate_database(admin, PG_NAME, drop_only=True))


def report(name: str, rounds: list[Round], suffixes: list[str]) -> None:
    """Median req/s (spread) per path; median (spread) of each round's ratio to its own (r);
    with metrics on too, what they cost each path's ratio."""
    paths = [REFERENCE, *(p + suffix for suffix in suffixes for p in (UNIQUE, DUPLICATE, FORGED))]
    print(f"\n{name}\n{'path':<56}{'req/s median (min-max)':>28}{'ratio to (r)':>22}")
    for path in paths:
        rates = [figures[path] for figures in rounds]
        ratios = [figures[path] / figures[REFERENCE] for figures in rounds]
        cell = f"{statistics.median(rates):,.0f} ({min(rates):,.0f}-{max(rates):,.0f})"
        spread = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        print(f"{path:<56}{cell:>28}{'' if path == REFERENCE else spread:>22}")
    for suffix in suffixes:
        for key, path, target in TARGETS:
            ratio = statistics.median(f[path + suffix] / f[REFERENCE] for f in rounds)
            print(f"ratio {key}{suffix}: {ratio:.2f}  (target >= {target}: "
                  f"{'meets' if ratio >= target else 'BELOW'})")  # fmt: skip
    if "" in suffixes and len(suffixes) > 1:
        for key, path, _ in TARGETS:
            per_round = {s: [f[path + s] / f[REFERENCE] for f in rounds] for s in suffixes}
            others = {s: per_round[s] for s in suffixes if s}
            print("\n".join(cost_lines(key, per_round[""], others)))
            cpu = {s: [f[CPU + path + s] for f in rounds] for s in suffixes}
            print("\n".join(cpu_lines(f"{path[:3]} node CPU", cpu)))


def prepare(
    work: Path, options: argparse.Namespace, origin_port: int, node_port: int
) -> list[RemoteActor]:
    """Actors, their key file and the two signed pools, all before anything is measured."""
    started = time.monotonic()
    actors = remote_actors(f"http://127.0.0.1:{origin_port}", options.actors)
    keys = {actor.key_id: actor.public_pem for actor in actors}
    (work / "keys.json").write_bytes(orjson.dumps(keys))
    url = f"http://127.0.0.1:{node_port}/inbox"
    write_pool(work / "unique.pool", sign_pool(url, actors, 0, options.pool))
    forger, _ = generate_rsa_keypair()
    write_pool(work / "forged.pool", sign_pool(url, actors, options.pool, options.forged, forger))
    print(f"signed {options.pool:,} unique and {options.forged:,} forged POSTs "
          f"in {time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
    return actors


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="measured part of one run")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up before each run")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median over them)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--actors", type=int, default=4, help="remote actors signing")
    parser.add_argument("--pool", type=int, default=32_000, help="unique signed POSTs")
    parser.add_argument("--forged", type=int, default=2_000, help="forged POSTs (cycled)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--metrics", choices=CHOICES, default="off",
                        help="serve the node with metrics off, on, both (in the same rounds) "
                        "or all (both, and metrics with the request log on)")  # fmt: skip
    parser.add_argument("--pin", action="store_true",
                        help="servers on the first core, the load on the others")  # fmt: skip
    parser.add_argument(
        "--postgres",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432",
        help=f"PostgreSQL server (database {PG_NAME} is created, then dropped)",
    )
    return parser.parse_args()


def main() -> None:
    """Sign the pools, then the rounds on each database; print medians and ratios."""
    options = parse_options()
    pinning = pin(options.pin)
    started = time.monotonic()
    results: dict[str, list[Round]] = {}
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp:
        work, origin_port, node_port = Path(tmp), free_port(), free_port()
        actors = prepare(work, options, origin_port, node_port)
        with counting_origin(origin_port, actors) as origin:
            bench = Bench(work, options, node_port, origin, actors)
            if options.database in ("sqlite", "both"):
                results["SQLite (WAL, synchronous=NORMAL)"] = database_runs(bench, "")
            if options.database in ("postgresql", "both"):
                results["PostgreSQL"] = postgres_runs(bench)
    suffixes = [variant.suffix for variant in variants(options.metrics)]
    for name, rounds in results.items():
        report(name, rounds, suffixes)
    print("\n" + "\n".join([*bench.notes, pinning]))
    print(f"\n{options.runs} rounds; each run {options.warmup:.0f} s warm-up + "
          f"{options.seconds:.0f} s measured on {options.connections} connections from a "
          "separate load process; node with SMARTNODE_IN_PROCESS_WORKER=false and "
          "SMARTNODE_INBOX_RATE_PER_MINUTE=0; "
          f"whole run {time.monotonic() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
