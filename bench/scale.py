"""Scaling out on PostgreSQL: signed inbox POSTs, the worker's drain and deliveries with 1, 2 and 4
API and worker processes, on a node of 90,000 members and 1,000 remote hosts.

Run: .venv/bin/python -m bench.scale [--processes 1,2,4] [--seconds 5] [--activities 3000]
                                     [--publish 10]   (about nine minutes as given)

The node is built once in a PostgreSQL database of the bench's own (through the Unix socket when
/var/run/postgresql exists, as a node on the same machine as its database should be):
`smartnode init`, `smartnode seed` (the SE node), 200 remote actors with RSA-2048 keys stored as
resolved, 90,000 members (bench/_scale_seed.py, in bulk) and a member followed by 10 remote
actors on each of 1,000 hosts, every host a port of a loopback sink (bench/_sinks.py) that
answers 202 and counts what it gets; one worker then catches up with the seed's jobs. Each
process count N gets a fresh copy of that database (CREATE DATABASE … TEMPLATE), so each does
the same work from the same state:

  (a) `smartnode serve --workers N` (no worker inside, no rate limit): unique signed
      Create{Note} POSTs (Mastodon's shape and signature) from a separate load process on 32
      keep-alive connections, for --seconds after a warm-up of 2 s per process: stored per
      second. Then, through the same processes, the worker mix of bench/_worker_mix.py is
      stored, once.
  (b) N `smartnode worker` processes, started and idle before the stored mix is released (its
      messages held back until every worker beats): activities handled per second, from the
      first handled to the last.
  (c) the same workers, once the drain's jobs and deliveries are done: the followed member
      publishes --publish activities at once; delivery rows done per second (fan-out included)
      from the commit until every row is done: --publish × 1,000 signed POSTs.

Checks, each a failure: (a) every answer 202 and the stored rows exactly the activities answered
202; the mix stored whole; (b)+(c) every inbox message, job and delivery claimed exactly once
(no job run twice, no delivery sent twice), every job and delivery done, the mix coming to the
same outcomes with every N, and each host's sink getting each activity exactly once.

Printed per stage: the figure, its ratio to one process, and where the cores went (from /proc:
the machine, the node's processes, the load process or the sinks, this database's PostgreSQL
backends, the rest of the PostgreSQL server, and the rest: this script and other work on the
machine), with CPU milliseconds per item. Semantic search is off (the embedding lane and the
model are bench/search.py's); the members have no skills (matching at 90,000 is
bench/matching.py's).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._cpu import POSTGRES_REST
from bench._databases import local_postgres, scratch_postgres
from bench._inbox_load import write_pool
from bench._inbox_setup import RemoteActor, counting_origin, remote_actors, sign_pool
from bench._scale_runs import (
    API,
    LOAD,
    OURS,
    SINKS,
    WORKERS,
    Figures,
    Plan,
    Stage,
    settle,
    start_worker,
)
from bench._scale_runs import intake as measure_intake
from bench._scale_runs import workers as measure_workers
from bench._scale_seed import add_hosts, add_members
from bench._servers import free_port
from bench._sinks import sinks
from bench._worker_mix import Local, kinds, sign_mix
from bench.worker import arrange, cli, node_env, seed_known_actors, settings_of
from smartnode.actors.inputs import MemberInput
from smartnode.actors.members import create_member
from smartnode.storage.db import Database

PG_TEMPLATE = "bench_scale_seed"
PG_NAME = "bench_scale"
SENDER = "herald"
SINK_PROCESSES = 4
#: Activity numbers of the intake pool start here, apart from the mix's.
POOL_FIRST = 1_000_000


def env_of(work: Path, port: int, url: str) -> dict[str, str]:
    """The node's settings (bench/worker.py's), semantic search off."""
    return {**node_env(work, port, url), "SMARTNODE_SEMANTIC_SEARCH": "false"}


async def fill(
    env: dict[str, str], actors: list[RemoteActor], project: RemoteActor, inboxes: list[str],
    members: int,
) -> Local:  # fmt: skip
    """Remote actors, the members in bulk, and the member every host follows."""
    settings = settings_of(env)
    await seed_known_actors(settings, [*actors, project])
    local = await arrange(settings, project)
    db = Database(settings)
    try:
        started = time.monotonic()
        await add_members(db, settings, members)
        print(f"  {members:,} members in {time.monotonic() - started:.0f} s", flush=True)
        async with db.session() as session, session.begin():
            data = MemberInput.model_validate({"username": SENDER, "name": "Herald"})
            sender = await create_member(session, settings, data, datetime.now(UTC))
        await add_hosts(db, settings, sender, inboxes)
    finally:
        await db.dispose()
    return local


async def caught_up(env: dict[str, str], work: Path) -> None:
    """One worker until the seed's jobs are done, so that every copy starts with none due."""
    log = work / "worker-seed.log"
    with log.open("wb") as file:
        process = start_worker(env, file)
        db = Database(settings_of(env))
        try:
            await settle(db, [process], [log])
        finally:
            process.terminate()
            process.wait(timeout=30)
            await db.dispose()


def build_node(
    options: argparse.Namespace, work: Path, port: int, actors: list[RemoteActor],
    project: RemoteActor, inboxes: list[str],
) -> Local:  # fmt: skip
    """The template database, once."""
    started = time.monotonic()
    url = asyncio.run(scratch_postgres(options.postgres, PG_TEMPLATE, create=True))
    env = env_of(work, port, url)
    cli(env, "init")
    cli(env, "seed")
    local = asyncio.run(fill(env, actors, project, inboxes, options.members))
    asyncio.run(caught_up(env, work))
    print(f"node built in {time.monotonic() - started:.0f} s: {options.members:,} members, "
          f"{len(inboxes):,} hosts ({len(inboxes) * 10:,} followers of @{SENDER})",
          flush=True)  # fmt: skip
    return local


def sign(
    options: argparse.Namespace, work: Path, port: int, actors: list[RemoteActor],
    project: RemoteActor, local: Local,
) -> list[str]:  # fmt: skip
    """The intake pool and the mix, signed before anything is measured; the mix's ids."""
    started, url = time.monotonic(), f"http://127.0.0.1:{port}/inbox"
    write_pool(work / "unique.pool", sign_pool(url, actors, POOL_FIRST, options.pool))
    mix = sign_mix(url, actors, project, local, kinds(options.activities))
    write_pool(work / "mix.pool", [raw for raw, _ in mix])
    print(f"signed {options.pool:,} intake POSTs and a mix of {len(mix):,} in "
          f"{time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
    return [activity for _, activity in mix]


STAGES = (("(a) inbox POSTs stored", "intake", API, LOAD, "POST"),
          ("(b) mix handled by workers", "drain", WORKERS, None, "activity"),
          ("(c) deliveries done", "deliveries", WORKERS, SINKS, "delivery"))  # fmt: skip


def report_one(figures: Figures, first: Figures) -> None:
    """One process count: each stage's figure, ratio, cores and CPU per item."""
    cores = os.cpu_count() or 1
    print(f"\n== {figures.processes} process{'es' if figures.processes > 1 else ''}", flush=True)
    for title, name, node, helper, item in STAGES:
        stage: Stage = getattr(figures, name)
        ratio = stage.rate / getattr(first, name).rate
        c = stage.cores
        parts = [f"{node} {c.get(node, 0):.2f}"]
        if helper:
            parts.append(f"{helper} {c.get(helper, 0):.2f}")
        parts += [f"{OURS} {c.get(OURS, 0):.2f}", f"{POSTGRES_REST} {c.get(POSTGRES_REST, 0):.2f}",
                  f"rest {c['other']:.2f}"]  # fmt: skip
        print(f"{title:<28}{stage.rate:>9,.0f}/s  x{ratio:.2f} of one   "
              f"({stage.items:,} in {stage.seconds:.1f} s)")  # fmt: skip
        print(f"    cores busy {c['machine']:.2f} of {cores}: " + ", ".join(parts))
        print(f"    CPU per {item}: {node} {stage.cpu_ms(node):.2f} ms, "
              f"this database's backends {stage.cpu_ms(OURS):.2f} ms")  # fmt: skip


def report(results: list[Figures]) -> None:
    """The summary: each stage's rate and ratio to one process, per process count."""
    print("\n== summary: rate per second (ratio to one process) [machine cores busy]")
    print(f"{'processes':<11}" + "".join(f"{title:>34}" for title, *_ in STAGES))
    first = results[0]
    for figures in results:
        cells = []
        for _, name, *_ in STAGES:
            stage: Stage = getattr(figures, name)
            ratio = stage.rate / getattr(first, name).rate
            cells.append(f"{stage.rate:,.0f} ({ratio:.2f}) [{stage.cores['machine']:.2f}]")
        print(f"{figures.processes:<11}" + "".join(f"{cell:>34}" for cell in cells))


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2,4", help="API and worker process counts")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured part of (a)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="warm-up before (a), per API process (each loads the actors' keys "
                        "and its code paths on its first requests)")  # fmt: skip
    parser.add_argument("--connections", type=int, default=32, help="of the load process")
    parser.add_argument("--pool", type=int, default=32_000, help="unique signed POSTs for (a)")
    parser.add_argument("--activities", type=int, default=3000, help="the mix drained in (b)")
    parser.add_argument("--publish", type=int, default=10, help="activities x 1,000 hosts (c)")
    parser.add_argument("--members", type=int, default=90_000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument(
        "--postgres", default=local_postgres(),
        help="PostgreSQL's socket directory or host:port (default: the socket when present); "
        f"databases {PG_TEMPLATE} and {PG_NAME} are created, then dropped",
    )  # fmt: skip
    return parser.parse_args()


def main() -> None:
    options = parse_options()
    started, load = time.monotonic(), os.getloadavg()
    counts = [int(n) for n in options.processes.split(",")]
    results: list[Figures] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp,
        sinks(SINK_PROCESSES, ports_each=-(-options.hosts // SINK_PROCESSES)) as hosts,
    ):
        work, port, origin_port = Path(tmp), free_port(), free_port()
        origin = f"http://127.0.0.1:{origin_port}"
        actors = remote_actors(origin, 200)
        [project] = remote_actors(f"{origin}/projects", 1)
        project.document["type"] = "Group"
        ports = hosts.answering[: options.hosts]
        inboxes = [f"http://127.0.0.1:{p}/inbox" for p in ports]
        with counting_origin(origin_port, [*actors, project]) as server:
            server.documents["/inbox"] = {"accepted": True}
            try:
                local = build_node(options, work, port, actors, project, inboxes)
                mix_ids = sign(options, work, port, actors, project, local)
                plan = Plan(work, port, options, actors, POOL_FIRST, mix_ids, SENDER, hosts, ports)
                for count in counts:
                    url = asyncio.run(scratch_postgres(
                        options.postgres, PG_NAME, create=True, template=PG_TEMPLATE
                    ))  # fmt: skip
                    env = env_of(work, port, url)
                    intake = measure_intake(plan, env, count)
                    drain, deliveries = asyncio.run(measure_workers(plan, env, count))
                    results.append(Figures(count, intake, drain, deliveries))
                    report_one(results[-1], results[0])
            finally:
                for name in (PG_NAME, PG_TEMPLATE):
                    asyncio.run(scratch_postgres(options.postgres, name, create=False))
    report(results)
    print("\n" + "\n".join(plan.notes) if plan.notes else "")
    cores = os.cpu_count() or 1
    print(f"checked: every answer, stored row and claim; the mix came to "
          f"{sum((plan.outcomes or {}).values()):,} outcomes alike for every process count; "
          f"each of the {len(inboxes):,} hosts got each activity once")  # fmt: skip
    print(f"{cores} cores; load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"whole run {time.monotonic() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
