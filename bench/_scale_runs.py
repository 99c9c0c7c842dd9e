"""The measurements of bench/scale.py for one process count, on a fresh copy of the node: (a)
signed inbox POSTs through `smartnode serve --workers N`, (b) the stored mix drained by N
`smartnode worker` processes, (c) deliveries by the same workers to the loopback hosts; each
checked (every answer, row and request counted) and with the cores it took."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import func, select, text, update

from bench._cpu import Snapshot, cores_busy, snapshot
from bench._inbox_load import load_command
from bench._inbox_setup import RemoteActor, activity_id, reset_inbox, stored
from bench._servers import running
from bench._sinks import Sinks
from bench.fanout import publish_note
from bench.worker import SMARTNODE, inbox_state, settings_of
from smartnode.actors.records import node_uris
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, Delivery, InboxMessage, Job, table
from smartnode.storage.models_ops import WorkerHeartbeat

API = "API processes"
WORKERS = "worker processes"
LOAD = "load process"
SINKS = "sinks"
OURS = "postgres, this database"
#: How long the N processes may take to start on a busy machine.
START_TIMEOUT = 180.0


@dataclass(frozen=True, slots=True)
class Stage:
    """One measured figure: items per second, how many, over how long, and the cores busy."""

    rate: float
    items: int
    seconds: float
    cores: dict[str, float]

    def cpu_ms(self, group: str) -> float:
        """CPU milliseconds `group` spent per item."""
        return self.cores.get(group, 0.0) * self.seconds / self.items * 1000 if self.items else 0


@dataclass(slots=True)
class Plan:
    """What every process count shares: where, what is sent, what must come of it."""

    work: Path
    port: int
    options: Any
    actors: list[RemoteActor]
    pool_first: int
    mix_ids: list[str]
    sender: str
    sinks: Sinks
    ports: list[int]  # the sinks' ports the node's hosts are on
    notes: list[str] = field(default_factory=list)
    outcomes: Counter[str] | None = None  # the drain's, with the first process count

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True, slots=True)
class Figures:
    """The three stages of one process count."""

    processes: int
    intake: Stage
    drain: Stage
    deliveries: Stage


def _wait(check: Any, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)


async def _backends(db: Database) -> set[int]:
    """Process ids of the PostgreSQL backends serving this database now."""
    async with db.session() as session:
        found = await session.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return set(found.all())


def _backends_now(settings: Settings) -> set[int]:
    async def ask() -> set[int]:
        db = Database(settings)
        try:
            return await _backends(db)
        finally:
            await db.dispose()

    return asyncio.run(ask())


# -- (a) intake -------------------------------------------------------------------------------


def intake(plan: Plan, env: dict[str, str], processes: int) -> Stage:
    """`smartnode serve --workers N`: the unique pool for the measured seconds, then the mix."""
    settings, work, options = settings_of(env), plan.work, plan.options
    log, out, mark = work / f"serve-{processes}.log", work / "load.json", work / "measuring"
    command = [SMARTNODE, "serve", "--host", "127.0.0.1", "--port", str(plan.port),
               "--workers", str(processes), "--log-level", "info"]  # fmt: skip
    with running(command, f"{plan.origin}/healthz", env, log, START_TIMEOUT) as server:
        _wait(lambda: log.read_text().count("Application startup complete") >= processes,
              f"{processes} API processes starting")  # fmt: skip
        mark.unlink(missing_ok=True)
        load = subprocess.Popen(load_command(
            plan.port, work / "unique.pool", out, connections=options.connections,
            warmup=options.warmup * processes, seconds=options.seconds, mark=mark,
        ))  # fmt: skip
        _wait(mark.exists, "the load process starting", timeout=60)
        groups = {API: {server.pid}, LOAD: {load.pid}, OURS: _backends_now(settings)}
        before, started = snapshot(groups), time.monotonic()
        time.sleep(options.seconds)  # the measured part: the load process is still there
        after, seconds = snapshot(groups), time.monotonic() - started
        if load.wait() != 0:
            raise RuntimeError("the load process failed")
        result: dict[str, Any] = orjson.loads(out.read_bytes())
        _check_intake(plan, settings, result)
        asyncio.run(reset_inbox(settings))
        _store_mix(plan, settings)
    return Stage(result["rate"], result["measured"], seconds, cores_busy(before, after, seconds))


def _check_intake(plan: Plan, settings: Settings, result: dict[str, Any]) -> None:
    """Every answer 202, and the stored rows exactly the activities answered 202."""
    if set(result["statuses"]) != {"202"}:
        raise RuntimeError(f"(a): expected only 202, got {result['statuses']}")
    if result["exhausted"]:
        plan.notes.append(f"(a): the pool ran out after {result['measured']} measured requests")
    uris, rows, _ = asyncio.run(stored(settings))
    actors, first = plan.actors, plan.pool_first
    expected = {activity_id(actors[(first + i) % len(actors)], first + i)
                for i in result["accepted"]}  # fmt: skip
    if rows != len(result["accepted"]) or uris != expected:
        raise RuntimeError(f"(a): {rows} rows stored for {len(result['accepted'])} answers 202")


def _store_mix(plan: Plan, settings: Settings) -> None:
    """The worker mix, once, through the same processes; every activity stored once."""
    out = plan.work / "mix.json"
    done = subprocess.run(
        load_command(plan.port, plan.work / "mix.pool", out, warmup=0, seconds=3600)
    )
    result = orjson.loads(out.read_bytes())
    uris, rows, _ = asyncio.run(stored(settings))
    if done.returncode or set(result["statuses"]) != {"202"} or uris != set(plan.mix_ids):
        raise RuntimeError(f"the mix: {result['statuses']}, {rows} rows stored")


# -- (b) drain and (c) deliveries ----------------------------------------------------------------


async def _count(db: Database, statement: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(statement) or 0)


def _pending(model: Any) -> Any:
    return select(func.count()).select_from(model).where(
        model.state == "pending", model.run_at <= datetime.now(UTC)
    )  # fmt: skip


async def settle(db: Database, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    """Wait until no inbox message, job or delivery is due (the workers have caught up)."""
    deadline = time.monotonic() + START_TIMEOUT
    while any([await _count(db, _pending(m)) for m in (InboxMessage, Job, Delivery)]):
        _alive(processes, logs)
        if time.monotonic() > deadline:
            raise RuntimeError("the queues did not settle")
        await asyncio.sleep(0.2)


def _alive(processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    for process, log in zip(processes, logs, strict=True):
        if process.poll() is not None:
            raise RuntimeError(f"a worker process exited:\n{log.read_text()[-3000:]}")


def start_worker(env: dict[str, str], output: IO[bytes]) -> subprocess.Popen[bytes]:
    """A `smartnode worker` process writing to `output`."""
    return subprocess.Popen([SMARTNODE, "worker"], env={**os.environ, **env}, stdout=output,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


async def workers(plan: Plan, env: dict[str, str], processes: int) -> tuple[Stage, Stage]:
    """N `smartnode worker` processes, started and idle before the stored mix is released:
    (b) the drain, then (c) deliveries of activities published to every host."""
    settings = settings_of(env)
    db = Database(settings)
    logs = [plan.work / f"worker-{processes}-{n}.log" for n in range(processes)]
    held = datetime.now(UTC) + timedelta(days=1)
    async with db.session() as session, session.begin():
        await session.execute(update(table(InboxMessage)).values(run_at=held))
    files = [log.open("wb") for log in logs]
    started = [start_worker(env, file) for file in files]
    try:
        beats = select(func.count()).select_from(WorkerHeartbeat)
        while await _count(db, beats) < processes:
            _alive(started, logs)
            await asyncio.sleep(0.2)
        groups = {WORKERS: {p.pid for p in started}, SINKS: set(plan.sinks.pids)}
        drained = await _drain(db, groups, started, logs)
        await settle(db, started, logs)
        delivered = await _deliver(plan, settings, db, groups, started, logs)
        await settle(db, started, logs)
    finally:
        for process in started:
            process.terminate()
        for process, file in zip(started, files, strict=True):
            process.wait(timeout=30)
            file.close()
        await db.dispose()
    await _check_queues(plan, settings)
    return drained, delivered


async def _snapshot(db: Database, groups: dict[str, set[int]]) -> Snapshot:
    return snapshot({**groups, OURS: await _backends(db)})


async def _drain(
    db: Database, groups: dict[str, set[int]], started: list[Any], logs: list[Path]
) -> Stage:
    """Release the held mix; activities handled per second from the first to the last."""
    async with db.session() as session, session.begin():
        await session.execute(update(table(InboxMessage)).values(run_at=datetime.now(UTC)))
    total = await _count(db, select(func.count()).select_from(InboxMessage))
    pending = select(func.count()).select_from(InboxMessage).where(InboxMessage.state == "pending")
    first: tuple[float, int, Snapshot] | None = None
    while (left := await _count(db, pending)) > 0:
        if first is None and left < total:
            first = (time.monotonic(), total - left, await _snapshot(db, groups))
        _alive(started, logs)
        await asyncio.sleep(0.05)
    ended, after = time.monotonic(), await _snapshot(db, groups)
    if first is None:
        raise RuntimeError("(b): drained before the first poll; use more --activities")
    seconds, items = ended - first[0], total - first[1]
    return Stage(items / seconds, items, seconds, cores_busy(first[2], after, seconds))


async def _deliver(
    plan: Plan, settings: Settings, db: Database, groups: dict[str, set[int]],
    started: list[Any], logs: list[Path],
) -> Stage:  # fmt: skip
    """Publish the activities at once; delivery rows done per second until all are."""
    count, hosts = plan.options.publish, len(plan.ports)
    sent_before = plan.sinks.counts()
    async with db.session() as session, session.begin():
        sender = await session.scalar(
            select(Actor).where(Actor.local.is_(True), Actor.username == plan.sender)
        )
        assert sender is not None
        at, uris = datetime.now(UTC), node_uris(settings)
        ids = [(await publish_note(session, uris, sender, at, n)).id for n in range(count)]
    before, begun = await _snapshot(db, groups), time.monotonic()
    done = select(func.count()).select_from(Delivery).where(
        Delivery.activity_id.in_(ids), Delivery.state == "done"
    )  # fmt: skip
    while await _count(db, done) < count * hosts:
        _alive(started, logs)
        await asyncio.sleep(0.05)
    seconds = time.monotonic() - begun
    after = await _snapshot(db, groups)
    _check_sent(plan, sent_before, count)
    rows = count * hosts
    return Stage(rows / seconds, rows, seconds, cores_busy(before, after, seconds))


def _check_sent(plan: Plan, before: Counter[int], count: int) -> None:
    """Each host got each activity exactly once."""
    sent = plan.sinks.counts()
    sent.subtract(before)
    wrong = {port: n for port in plan.ports if (n := sent[port]) != count}
    if wrong:
        sample = dict(list(wrong.items())[:5])
        raise RuntimeError(f"(c): {len(wrong)} hosts did not get {count} POSTs each: {sample}")


async def _check_queues(plan: Plan, settings: Settings) -> None:
    """Every row claimed once (no job run twice, no delivery sent twice), every delivery and job
    done, and the mix came to what it came to with the first process count."""
    db = Database(settings)
    try:
        async with db.session() as session:
            for model in (InboxMessage, Job, Delivery):
                found = await session.execute(
                    select(model.state, model.attempts, func.count())
                    .group_by(model.state, model.attempts)
                )  # fmt: skip
                tally = {(state, attempts): n for state, attempts, n in found.all()}
                if any(attempts != 1 for _, attempts in tally) or (
                    model is not InboxMessage and any(s != "done" for s, _ in tally)
                ):
                    raise RuntimeError(f"{model.__tablename__}: (state, claims): rows {tally}")
    finally:
        await db.dispose()
    _, outcomes = await inbox_state(settings)
    if plan.outcomes is None:
        plan.outcomes = outcomes
    elif outcomes != plan.outcomes:
        raise RuntimeError(f"the mix came to {outcomes}, not {plan.outcomes}")
