"""The worker against the inbox edge: how fast stored activities are handled, as a ratio of how
fast one API process stores them, on SQLite and PostgreSQL with one and two worker processes.

Run: .venv/bin/python -m bench.worker [--activities 6000] [--databases sqlite,postgresql]
     (about five minutes at 6,000 activities)

Each configuration starts from a fresh database: `smartnode init`, `smartnode seed` (the SE
node: members, projects, open calls, events), then 200 remote actors with RSA-2048 keys stored as
resolved (document and handle, as a node holds actors it has heard from before), a remote
project a local member follows, and the mix of bench/_worker_mix.py signed
before any measurement. The remote actors' origin is a counting server on loopback (it serves
their documents and answers deliveries with 202).

  (e) intake: `smartnode serve` (one uvicorn worker, no in-process worker, no rate limit) gets
      the whole mix once on 32 keep-alive connections: stored activities per second;
  (w) drain: the API stopped, N `smartnode worker` processes handle the stored inbox (and the
      fan-out and deliveries it causes) until no inbox message is pending: activities per
      second, from the first handled message to the last.

Printed per configuration: (e), (w), the ratio w/e (target ≥ 0.5 with one worker), the cores
busy while draining (the machine's, and the worker processes' own: two workers can only double
one while cores are left) and what the activities came to (handled, ignored with reasons,
failed; requests the origin got).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select

from bench._cpu import CpuUse, machine_busy, process_cpu
from bench._databases import local_postgres, pg_url
from bench._inbox_load import load_command, write_pool
from bench._inbox_setup import (
    CountingOrigin,
    RemoteActor,
    counting_origin,
    recreate_database,
    remote_actors,
)
from bench._servers import free_port, running
from bench._worker_mix import RELEVANT, Local, kinds, sign_mix
from smartnode.actors.remote import get_remote_actor, remote_actor_from_ap, store_remote_actor
from smartnode.config import Settings, load_settings
from smartnode.federation.webfinger_client import Handle
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, ContentObject, Follow, InboxMessage

TARGET = 0.5
SMARTNODE = str(Path(sys.executable).parent / "smartnode")
PG_NAME = "bench_worker"


@dataclass(frozen=True, slots=True)
class Result:
    """One configuration's figures."""

    name: str
    intake: float
    drain: float
    outcomes: Counter[str]
    origin_requests: int
    cpu: CpuUse

    @property
    def ratio(self) -> float:
        return self.drain / self.intake if self.intake else 0.0


def node_env(work: Path, port: int, database_url: str) -> dict[str, str]:
    env = {
        "SMARTNODE_DATA_DIR": str(work / "node"),
        "SMARTNODE_DOMAIN": f"127.0.0.1:{port}",
        "SMARTNODE_BASE_URL": f"http://127.0.0.1:{port}",
        "SMARTNODE_IN_PROCESS_WORKER": "false",
        "SMARTNODE_INBOX_RATE_PER_MINUTE": "0",
        "SMARTNODE_ALLOW_PRIVATE_ADDRESSES": "true",
        "SMARTNODE_NODE_COUNTRY": "SE",
    }
    if database_url:
        env["SMARTNODE_DATABASE_URL"] = database_url
    return env


def settings_of(env: dict[str, str]) -> Settings:
    return load_settings(
        data_dir=Path(env["SMARTNODE_DATA_DIR"]), domain=env["SMARTNODE_DOMAIN"],
        base_url=env["SMARTNODE_BASE_URL"], database_url=env.get("SMARTNODE_DATABASE_URL", ""),
    )  # fmt: skip


def cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([SMARTNODE, *args], env={**os.environ, **env}, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"smartnode {' '.join(args)}: {done.stderr.decode()}")


async def seed_known_actors(settings: Settings, actors: list[RemoteActor]) -> None:
    """Store the remote actors as resolved (document and handle), as a node that has heard
    from them before holds them: a steady state, not a first contact."""
    db = Database(settings)
    try:
        async with db.session() as session, session.begin():
            for actor in actors:
                data = remote_actor_from_ap(actor.document)
                handle = Handle(data.username, data.domain)
                await store_remote_actor(session, data, datetime.now(UTC), handle=handle)
    finally:
        await db.dispose()


async def arrange(settings: Settings, project: RemoteActor) -> Local:
    """A local member follows the remote project; the node's members and public objects."""
    db = Database(settings)
    try:
        async with db.session() as session, session.begin():
            remote = await get_remote_actor(session, project.uri)
            members = (await session.scalars(
                select(Actor).where(Actor.local.is_(True), Actor.kind == "member")
                .order_by(Actor.id)
            )).all()  # fmt: skip
            assert remote is not None and members
            session.add(Follow(follower_id=members[0].id, followed_id=remote.id,
                               state="accepted", created_at=datetime.now(UTC)))  # fmt: skip
            rows = await session.execute(
                select(ContentObject.uri, Actor.uri)
                .join(Actor, Actor.id == ContentObject.actor_id)
                .where(ContentObject.local.is_(True), ContentObject.visibility == "public")
            )
            objects = [(uri, author) for uri, author in rows.all()]
        return Local(members=[m.uri for m in members], objects=objects)
    finally:
        await db.dispose()


async def inbox_state(settings: Settings) -> tuple[int, Counter[str]]:
    """Pending inbox messages, and the outcome of the others (state: activity type: reason)."""
    db = Database(settings)
    try:
        async with db.session() as session:
            pending = await session.scalar(
                select(func.count()).select_from(InboxMessage)
                .where(InboxMessage.state == "pending")
            )  # fmt: skip
            rows = await session.execute(
                select(InboxMessage.state, InboxMessage.activity_type, InboxMessage.last_error,
                       func.count())
                .where(InboxMessage.state != "pending")
                .group_by(InboxMessage.state, InboxMessage.activity_type, InboxMessage.last_error)
            )  # fmt: skip
            outcomes: Counter[str] = Counter()
            for state, kind, error, count in rows.all():
                outcomes[f"{state}: {kind}: {error or 'handled'}"] += int(count)
        return int(pending or 0), outcomes
    finally:
        await db.dispose()


def intake(work: Path, env: dict[str, str], port: int, pool: list[bytes]) -> float:
    """(e): the whole pool once through `smartnode serve`; stored activities per second."""
    write_pool(work / "mix.pool", pool)
    out = work / "load.json"
    command = [SMARTNODE, "serve", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/actor", env):
        subprocess.run(load_command(port, work / "mix.pool", out, warmup=0, seconds=3600),
                       check=True)  # fmt: skip
    result: dict[str, Any] = orjson.loads(out.read_bytes())
    if set(result["statuses"]) != {"202"}:
        raise RuntimeError(f"(e): expected only 202, got {result['statuses']}")
    return float(result["rate"])


def drain(
    work: Path, settings: Settings, env: dict[str, str], workers: int, total: int
) -> tuple[float, CpuUse]:
    """(w): `workers` worker processes until no inbox message is pending; activities/s and
    the cores busy meanwhile. Each worker's output goes to work/worker-N.log."""
    logs = [work / f"worker-{n}.log" for n in range(workers)]
    processes = [
        subprocess.Popen([SMARTNODE, "worker"], env={**os.environ, **env},
                         stdout=log.open("wb"), stderr=subprocess.STDOUT,
                         start_new_session=True)
        for log in logs
    ]  # fmt: skip
    try:
        first: tuple[float, int] | None = None
        busy_at_first = workers_at_first = 0.0
        while True:
            pending, _ = asyncio.run(inbox_state(settings))
            moment = time.monotonic()
            if first is None and pending < total:
                first = (moment, total - pending)
                busy_at_first = machine_busy()
                workers_at_first = sum(process_cpu(p.pid) for p in processes)
            if pending == 0:
                break
            if any(p.poll() is not None for p in processes):
                ended = next(
                    log for p, log in zip(processes, logs, strict=True) if p.poll() is not None
                )
                raise RuntimeError(f"a worker process exited:\n{ended.read_text()[-3000:]}")
            time.sleep(0.1)
        assert first is not None
        elapsed = moment - first[0]
        if elapsed <= 0:
            return float("inf"), CpuUse(0.0, 0.0)
        machine = (machine_busy() - busy_at_first) / elapsed
        own = (sum(process_cpu(p.pid) for p in processes) - workers_at_first) / elapsed
        return (total - first[1]) / elapsed, CpuUse(machine, own)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def configuration(
    options: argparse.Namespace, database: str, workers: int, origin: CountingOrigin,
    actors: list[RemoteActor], project: RemoteActor,
) -> Result:  # fmt: skip
    """One database and worker count, from a fresh database."""
    work = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    port = free_port()
    url = ""
    if database == "postgresql":
        asyncio.run(recreate_database(pg_url(options.postgres, "postgres"), PG_NAME))
        url = pg_url(options.postgres, PG_NAME)
    env = node_env(work, port, url)
    settings = settings_of(env)
    cli(env, "init")
    cli(env, "seed")
    asyncio.run(seed_known_actors(settings, [*actors, project]))
    local = asyncio.run(arrange(settings, project))
    mix = kinds(options.activities)
    signed = sign_mix(f"http://127.0.0.1:{port}/inbox", actors, project, local, mix)
    before = origin.requests
    rate_in = intake(work, env, port, [raw for raw, _ in signed])
    rate_out, cpu = drain(work, settings, env, workers, len(signed))
    _, outcomes = asyncio.run(inbox_state(settings))
    name = f"{database}, {workers} worker{'s' if workers > 1 else ''}"
    return Result(name, rate_in, rate_out, outcomes, origin.requests - before, cpu)


def report(result: Result, relevant: int, total: int) -> None:
    print(f"\n== {result.name}: {total} activities ({relevant} concern the node)")
    print(f"(e) intake, stored/s        {result.intake:10.0f}")
    print(f"(w) worker, handled/s       {result.drain:10.0f}")
    verdict = "meets" if result.ratio >= TARGET else "BELOW"
    print(f"w/e                         {result.ratio:10.2f}   ({verdict} the target {TARGET})")
    cores = os.cpu_count() or 1
    print(f"cores busy while draining: {result.cpu.machine:.2f} of {cores} "
          f"(the worker processes {result.cpu.workers:.2f}; the rest is the database, the "
          "origin and this script's polling)")  # fmt: skip
    print(f"origin requests (fetches and deliveries): {result.origin_requests}")
    for outcome, count in result.outcomes.most_common():
        print(f"  {count:6d}  {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=6000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--postgres",
        default=local_postgres(),
        help="PostgreSQL's socket directory or host:port (default: the socket when present)",
    )
    options = parser.parse_args()
    origin_port = free_port()
    origin_url = f"http://127.0.0.1:{origin_port}"
    actors = remote_actors(origin_url, 200)
    [project] = remote_actors(f"{origin_url}/projects", 1)
    project.document["type"] = "Group"
    mix = kinds(options.activities)
    relevant = sum(1 for kind in mix if kind in RELEVANT)
    results = []
    with counting_origin(origin_port, [*actors, project]) as origin:
        origin.documents["/inbox"] = {"accepted": True}
        for database in options.databases.split(","):
            for workers in (int(w) for w in options.workers.split(",")):
                result = configuration(options, database, workers, origin, actors, project)
                report(result, relevant, options.activities)
                results.append(result)
    print("\n== summary (w/e)")
    for result in results:
        print(f"{result.name:28s} {result.ratio:6.2f}")
    if PG_NAME and "postgresql" in options.databases:
        admin = pg_url(options.postgres, "postgres")
        asyncio.run(recreate_database(admin, PG_NAME, drop_only=True))


if __name__ == "__main__":
    main()
