"""The worker: processes stored inbox messages, expands fan-out jobs, delivers, runs jobs.

`Worker.run_once(now)` does one round of each and returns what it did (tests drive it
directly). `run_forever(stop)` runs two lanes side by side, so neither waits on the other: the
inbox lane (inbox/lane.py: triage, then handlers concurrently across actors), woken when the
inbox stores something, the outbox lane (fan-out, delivery, jobs, the deadline sweep) and the
embedding lane (search documents' embeddings, search_embed.py). The
same loop runs inside `smartnode serve` and alone as `smartnode worker`; on PostgreSQL any
number of workers share the queues (claims use SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from smartnode.actors.records import node_uris
from smartnode.actors.resolve import FetchingResolver
from smartnode.config import Settings
from smartnode.content.calls import close_expired_call, expired_calls
from smartnode.federation.delivery import next_attempt_at
from smartnode.federation.fetch import FetchBudget, Fetcher, FetchError
from smartnode.federation.prefetch import NeedsFetch, Prefetched
from smartnode.federation.signer import utc_now
from smartnode.inbox.lane import InboxLane
from smartnode.job_run import JobRun
from smartnode.jobs import FETCHING_JOBS, JOB_KINDS, run_job
from smartnode.matching.embedder import shared_embedder
from smartnode.matching.search_embed import embed_batch
from smartnode.ops.heap import freeze_startup_heap
from smartnode.ops.heartbeat import Heartbeat
from smartnode.outbox.fanout import expand
from smartnode.outbox.publish import FANOUT
from smartnode.storage import queue
from smartnode.storage.db import Database
from smartnode.storage.models import Job, table

log = logging.getLogger(__name__)

FANOUT_BATCH = 20
JOB_BATCH = 10
MAX_JOB_ATTEMPTS = 12
LEASE = timedelta(minutes=5)
FETCHES_PER_JOB = 10
IDLE_SECONDS = 1.0
#: The outbox lane looks for due rows this often when idle (deliveries come due by time).
OUTBOX_IDLE_SECONDS = 0.5
#: How often a worker looks for calls whose deadline has passed.
SWEEP = timedelta(seconds=30)
#: How often an idle worker looks for search documents to embed (at once while it finds some).
EMBED_IDLE = timedelta(seconds=5)
#: While the inbox has a backlog the model waits, but never longer than this at a time.
EMBED_YIELDS_AT_MOST = timedelta(seconds=30)


class Deliverer(Protocol):
    """What the worker needs of the delivery stage."""

    async def run_once(self, now: datetime) -> int: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Round:
    """What one round did."""

    inbox: int = 0
    fanout: int = 0
    delivered: int = 0
    jobs: int = 0
    closed: int = 0  # calls closed because their deadline passed
    embedded: int = 0  # search documents given their embedding

    @property
    def busy(self) -> bool:
        done = (self.inbox, self.fanout, self.delivered, self.jobs, self.closed, self.embedded)
        return any(done)


class Worker:
    """One worker's loop over the three queues."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        fetcher: Fetcher,
        *,
        signer: httpx.Auth | None,
        deliverer: Deliverer | None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.fetcher = fetcher
        self.signer = signer
        self.deliverer = deliverer
        self.uris = node_uris(settings)
        self.rng = rng or random.Random()
        self._next_sweep: datetime | None = None
        self.embedder = shared_embedder(settings.semantic_search)
        self.inbox = InboxLane(settings, self.uris, db, fetcher, signer, self.rng)
        self._embedding_waits_since: float | None = None
        #: The outbox lane's last round did something (fan-out, deliveries, jobs): federation
        #: is under way, and the embedding lane yields to it as to an inbox backlog.
        self.outbox_busy = False

    async def run_once(self, now: datetime) -> Round:
        inbox = await self.process_inbox(now)
        outbox = await self.run_outbox_once(now)
        embedded = await self.embed_documents(now)
        return Round(inbox, outbox.fanout, outbox.delivered, outbox.jobs, outbox.closed, embedded)

    async def aclose(self) -> None:
        if self.deliverer is not None:
            await self.deliverer.aclose()

    async def run_forever(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """The lanes until `stop` is set: the inbox lane (woken when the inbox stores
        something), the outbox lane and the embedding lane; a slow one never holds another
        back (the model runs in a thread)."""
        heartbeat = Heartbeat(self.db)
        try:
            await asyncio.gather(
                self.inbox.run_forever(stop, wake or asyncio.Event(), IDLE_SECONDS),
                self._outbox_lane(stop, heartbeat),
                self._embed_lane(stop),
            )
        finally:
            with contextlib.suppress(Exception):  # a database gone at shutdown: the row goes stale
                await heartbeat.stop()

    async def run_outbox_once(self, now: datetime) -> Round:
        """One round of the outbox lane: fan-out, delivery, jobs, the deadline sweep."""
        fanout = await self.expand_fanouts(now)
        delivered = await self.deliverer.run_once(now) if self.deliverer else 0
        jobs = await self.run_jobs(now)
        done = Round(0, fanout, delivered, jobs, await self.close_expired(now))
        self.outbox_busy = done.busy
        return done

    async def _outbox_lane(self, stop: asyncio.Event, heartbeat: Heartbeat) -> None:
        while not stop.is_set():
            try:
                await heartbeat.beat(utc_now())  # at most one write every few seconds
                done = await self.run_outbox_once(utc_now())
            except Exception:  # keep the lane alive; rows keep their leases and come back
                log.exception("outbox round failed")
                done = Round()
                self.outbox_busy = False
            if not done.busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=OUTBOX_IDLE_SECONDS)

    async def process_inbox(self, now: datetime) -> int:
        """One inbox batch seen through (triage, then handlers); how many messages it held."""
        return await self.inbox.run_once(now)

    async def run_jobs(self, now: datetime) -> int:
        """Run due background jobs other than fan-out, one transaction each."""
        async with self.db.session() as session, session.begin():
            jobs = await queue.claim(
                session, table(Job), now=now, lease=LEASE, limit=JOB_BATCH,
                where=table(Job).c.kind.in_(JOB_KINDS),
            )  # fmt: skip
        for job in jobs:
            started = time.perf_counter()
            if job.kind in FETCHING_JOBS:
                outcome = await self._run_fetching_job(
                    job.id, job.kind, job.payload, job.attempts, now
                )
                _job_line(job.id, job.kind, outcome, started)
                continue
            try:
                await self._run_job(job.id, job.kind, job.payload, now)
                outcome = "done"
            except Exception as error:  # a failed job must not stop the loop: retry, then fail
                if not isinstance(error, FetchError):
                    log.exception("job %s failed", job.id)
                outcome = await self._retry_job(job.id, job.attempts, now, error)
            _job_line(job.id, job.kind, outcome, started)
        return len(jobs)

    async def _run_job(
        self, job_id: int, kind: str, payload: dict[str, Any], now: datetime
    ) -> None:
        """One job in one transaction; what it must fetch is fetched between tries (prefetch)."""
        budget = FetchBudget(FETCHES_PER_JOB)
        source = Prefetched(self.fetcher)
        for _ in range(2 * FETCHES_PER_JOB):
            try:
                async with self.db.session() as session, session.begin():
                    resolver = FetchingResolver(
                        session, self.uris, source, now=now, signer=self.signer, budget=budget
                    )
                    await run_job(session, self.settings, resolver, kind, payload, now)
                    await queue.complete(session, table(Job), [job_id])
                return
            except NeedsFetch as need:
                await source.fetch(need.request, budget)
        raise FetchError(f"more than {FETCHES_PER_JOB} documents needed")

    async def _run_fetching_job(
        self, job_id: int, kind: str, payload: dict[str, Any], attempts: int, now: datetime
    ) -> str:
        """A job that fetches: outside any transaction of ours; it settles as it says. Its
        outcome: done, retry or failed."""
        run = JobRun(self.db, self.settings, self.uris, self.fetcher, self.signer, self.rng,
                     attempts, now)  # fmt: skip
        try:
            again = await FETCHING_JOBS[kind](run, payload)
        except Exception as error:  # a failed job must not stop the loop: retry, then fail
            if not isinstance(error, FetchError):
                log.exception("job %s failed", job_id)
            return await self._retry_job(job_id, attempts, now, error)
        async with self.db.session() as session, session.begin():
            if again is None:
                await queue.complete(session, table(Job), [job_id])
                return "done"
            await queue.retry(session, table(Job), job_id, run_at=again.at, error=again.why)
            return "retry"

    async def _retry_job(self, job_id: int, attempts: int, now: datetime, error: Exception) -> str:
        """Retry the job later, or fail it after its last try: `retry` or `failed`."""
        later = next_attempt_at(attempts, now, None, self.rng)
        why = error.message if isinstance(error, FetchError) else f"{type(error).__name__}: {error}"
        async with self.db.session() as session, session.begin():
            if later is None or attempts >= MAX_JOB_ATTEMPTS:
                await queue.fail(session, table(Job), job_id, error=why)
                return "failed"
            await queue.retry(session, table(Job), job_id, run_at=later, error=why)
            return "retry"

    async def close_expired(self, now: datetime) -> int:
        """Close calls whose deadline passed (at most once per SWEEP interval); how many."""
        if self._next_sweep is not None and now < self._next_sweep:
            return 0
        self._next_sweep = now + SWEEP
        async with self.db.session() as session:
            due = await expired_calls(session, now)
        closed = 0
        for call_id in due:  # one transaction each: one bad call never holds back the others
            try:
                async with self.db.session() as session, session.begin():
                    closed += await close_expired_call(session, self.uris, call_id, now)
            except Exception:
                log.exception("closing expired call %s failed", call_id)
        return closed

    async def _embed_lane(self, stop: asyncio.Event) -> None:
        """Background work: after each batch it rests as long as the batch took, so the model
        takes at most half of the time it could and federation keeps its pace; while the inbox
        has a backlog it waits (`embedding_yields`)."""
        while not stop.is_set() and self.embedder is not None:
            started = time.perf_counter()
            if self.embedding_yields(started):
                rest = 1.0
            else:
                done = await self.embed_documents(utc_now())
                rest = time.perf_counter() - started if done else EMBED_IDLE.total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=rest)

    def embedding_yields(self, clock: float) -> bool:
        """Whether the embedding lane waits now (`clock`: seconds, monotonic): while the inbox
        has a backlog (`InboxLane.backlogged`: until a claim finds nothing due and nothing in
        flight, and again from a large claim) or the outbox lane's last round did something,
        members' timelines, applications and deliveries come first; the model then runs one
        batch every EMBED_YIELDS_AT_MOST, so search still catches up under steady load."""
        if not self.inbox.backlogged and not self.outbox_busy:
            self._embedding_waits_since = None
            return False
        if self._embedding_waits_since is None:
            self._embedding_waits_since = clock
        if clock - self._embedding_waits_since < EMBED_YIELDS_AT_MOST.total_seconds():
            return True
        self._embedding_waits_since = None
        return False

    async def embed_documents(self, now: datetime) -> int:
        """Embed one batch of search documents that lack their embedding (search_embed.py);
        how many it embedded (0 when switched off or nothing is pending)."""
        if self.embedder is None:
            return 0
        try:
            return await embed_batch(self.db, self.embedder, now)
        except Exception:  # the documents stay pending and come back next time
            log.exception("embedding search documents failed")
            return 0

    async def expand_fanouts(self, now: datetime) -> int:
        """Turn due fan-out jobs into delivery rows (job and rows in one transaction)."""
        done = 0
        async with self.db.session() as session, session.begin():
            jobs = await queue.claim(
                session, table(Job), now=now, lease=LEASE, limit=FANOUT_BATCH,
                where=table(Job).c.kind == FANOUT,
            )  # fmt: skip
        for job in jobs:  # one transaction each: a job that raises never holds back the others
            started = time.perf_counter()
            try:
                async with self.db.session() as session, session.begin():
                    await expand(session, self.uris, int(job.payload["activity_id"]), now)
                    await queue.complete(session, table(Job), [job.id])
            except Exception as error:
                log.exception("fan-out job %s failed", job.id)
                outcome = await self._retry_job(job.id, job.attempts, now, error)
                _job_line(job.id, job.kind, outcome, started)
                continue
            _job_line(job.id, job.kind, "done", started)
            done += 1
        return done


def _job_line(job_id: int, kind: str, outcome: str, started: float) -> None:
    """One log line per job run: which, what came of it, how long it took."""
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    log.log(
        logging.WARNING if outcome == "failed" else logging.INFO,
        "job %s %s %s in %.1f ms", job_id, kind, outcome, duration_ms,
        extra={"job_id": job_id, "kind": kind, "outcome": outcome, "duration_ms": duration_ms},
    )  # fmt: skip


def make_worker(
    settings: Settings,
    db: Database,
    fetcher: Fetcher,
    signer: httpx.Auth,
    *,
    on_delivery: Callable[[str, float | None], None] | None = None,
) -> Worker:
    """The production worker: inbox, fan-out and the aiohttp delivery stage (whose attempts
    `on_delivery(outcome, seconds)` hears of: the node's metrics)."""
    from smartnode.outbox.deliver import Deliverer

    deliverer = Deliverer(db, settings, on_attempt=on_delivery)
    return Worker(settings, db, fetcher, signer=signer, deliverer=deliverer)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """`smartnode worker`: the loop alone, until `stop` is set."""
    from smartnode.actors.node import ensure_node_actor, node_signer

    db = Database(settings, sqlite_in_loop=True)  # this loop runs nothing else
    try:
        async with db.session() as session, session.begin():
            node = await ensure_node_actor(session, settings, utc_now())
        async with Fetcher(settings) as fetcher:
            worker = make_worker(settings, db, fetcher, node_signer(node, settings))
            freeze_startup_heap()  # this process runs this worker alone
            try:
                await worker.run_forever(stop)
            finally:
                await worker.aclose()
    finally:
        await db.dispose()
