"""The worker: processes stored inbox messages, expands fan-out jobs, delivers.

`Worker.run_once(now)` does one round of each and returns what it did (tests drive it
directly); `run_forever(stop)` loops, woken early when the inbox stores something. The same
loop runs inside `smartnode serve` and alone as `smartnode worker`; on PostgreSQL any number
of workers share the queues (claims use SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.blocks import BlockList
from smartnode.actors.records import node_uris
from smartnode.actors.remote import get_remote_actor, revive_inboxes
from smartnode.actors.resolve import FetchingResolver
from smartnode.config import Settings
from smartnode.content.calls import close_expired_call, expired_calls
from smartnode.federation.delivery import next_attempt_at
from smartnode.federation.fetch import FetchBudget, Fetcher, FetchError
from smartnode.federation.signer import utc_now
from smartnode.inbox.dispatch import InboxContext, dispatch
from smartnode.inbox.triage import record_settled, triage
from smartnode.job_run import JobRun
from smartnode.jobs import FETCHING_JOBS, JOB_KINDS, run_job
from smartnode.outbox.fanout import delivery_host, expand
from smartnode.outbox.publish import FANOUT
from smartnode.storage import queue
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, DeadInbox, Host, InboxMessage, Job, table

log = logging.getLogger(__name__)

INBOX_BATCH = 200
FANOUT_BATCH = 20
JOB_BATCH = 10
MAX_JOB_ATTEMPTS = 12
LEASE = timedelta(minutes=5)
MAX_INBOX_ATTEMPTS = 8
FETCHES_PER_ACTIVITY = 10
IDLE_SECONDS = 1.0
#: How often a worker looks for calls whose deadline has passed.
SWEEP = timedelta(seconds=30)


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

    @property
    def busy(self) -> bool:
        return bool(self.inbox or self.fanout or self.delivered or self.jobs or self.closed)


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
        self.blocks = BlockList(db)

    async def run_once(self, now: datetime) -> Round:
        inbox = await self.process_inbox(now)
        fanout = await self.expand_fanouts(now)
        delivered = await self.deliverer.run_once(now) if self.deliverer else 0
        jobs = await self.run_jobs(now)
        return Round(inbox, fanout, delivered, jobs, await self.close_expired(now))

    async def aclose(self) -> None:
        if self.deliverer is not None:
            await self.deliverer.aclose()

    async def run_forever(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Loop until `stop` is set; sleep when idle unless woken."""
        while not stop.is_set():
            try:
                done = await self.run_once(utc_now())
            except Exception:  # keep the loop alive; rows keep their leases and come back
                log.exception("worker round failed")
                done = Round()
            if done.busy:
                continue
            waits = [asyncio.ensure_future(stop.wait())]
            if wake is not None:
                wake.clear()
                waits.append(asyncio.ensure_future(wake.wait()))
            await asyncio.wait(waits, timeout=IDLE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()

    async def process_inbox(self, now: datetime) -> int:
        """Settle what concerns no one in one transaction (inbox/triage.py), then dispatch the
        rest, each in its own transaction; how many messages were handled."""
        async with self.db.session() as session, session.begin():
            rows = await queue.claim(
                session, table(InboxMessage), now=now, lease=LEASE, limit=INBOX_BATCH
            )
        if not rows:
            return 0
        remaining = await self._settle(rows, now)
        for row in remaining:
            await self._process_one(row.id, row.attempts, delivery_host(row.actor_uri), now)
        return len(rows)

    async def _settle(self, rows: Sequence[Row[Any]], now: datetime) -> list[Row[Any]]:
        """Triage the batch; the messages whose handlers must run."""
        async with self.db.session() as session, session.begin():
            settled, remaining = await triage(session, self.uris, rows, await self.blocks.domains())
            await record_settled(session, settled, now)
            ids = {outcome.message_id for outcome in settled}
            await _revive_senders(session, {row.actor_uri for row in rows if row.id in ids})
        return remaining

    async def _process_one(self, message_id: int, attempts: int, host: str, now: datetime) -> None:
        try:
            async with self.db.session() as session, session.begin():
                message = await session.get(InboxMessage, message_id)
                if message is None:
                    return
                resolver = FetchingResolver(
                    session, self.uris, self.fetcher, now=now, signer=self.signer,
                    budget=FetchBudget(FETCHES_PER_ACTIVITY),
                )  # fmt: skip
                context = InboxContext(session, self.settings, self.uris, now, resolver)
                outcome = await dispatch(context, message)
                reason = outcome.reason if outcome.status == "ignored" else None
                await queue.complete(session, table(InboxMessage), [message_id], last_error=reason)
                await _revive_host(session, host)
                sender = await get_remote_actor(session, message.actor_uri)
                if sender is not None:
                    await revive_inboxes(session, sender)
        except FetchError as error:
            await self._retry(message_id, attempts, now, error.message)
        except Exception as error:  # a handler bug must not lose the message: retry, then fail
            log.exception("inbox message %s failed", message_id)
            await self._retry(message_id, attempts, now, f"{type(error).__name__}: {error}")

    async def _retry(self, message_id: int, attempts: int, now: datetime, error: str) -> None:
        later = next_attempt_at(attempts, now, None, self.rng)
        async with self.db.session() as session, session.begin():
            if later is None or attempts >= MAX_INBOX_ATTEMPTS:
                await queue.fail(session, table(InboxMessage), message_id, error=error)
            else:
                await queue.retry(
                    session, table(InboxMessage), message_id, run_at=later, error=error
                )

    async def run_jobs(self, now: datetime) -> int:
        """Run due background jobs other than fan-out, one transaction each."""
        async with self.db.session() as session, session.begin():
            jobs = await queue.claim(
                session, table(Job), now=now, lease=LEASE, limit=JOB_BATCH,
                where=table(Job).c.kind.in_(JOB_KINDS),
            )  # fmt: skip
        for job in jobs:
            if job.kind in FETCHING_JOBS:
                await self._run_fetching_job(job.id, job.kind, job.payload, job.attempts, now)
                continue
            try:
                async with self.db.session() as session, session.begin():
                    resolver = FetchingResolver(
                        session, self.uris, self.fetcher, now=now, signer=self.signer,
                        budget=FetchBudget(FETCHES_PER_ACTIVITY),
                    )  # fmt: skip
                    await run_job(session, self.settings, resolver, job.kind, job.payload, now)
                    await queue.complete(session, table(Job), [job.id])
            except Exception as error:  # a failed job must not stop the loop: retry, then fail
                if not isinstance(error, FetchError):
                    log.exception("job %s failed", job.id)
                await self._retry_job(job.id, job.attempts, now, error)
        return len(jobs)

    async def _run_fetching_job(
        self, job_id: int, kind: str, payload: dict[str, Any], attempts: int, now: datetime
    ) -> None:
        """A job that fetches: outside any transaction of ours; it settles as it says."""
        run = JobRun(self.db, self.settings, self.uris, self.fetcher, self.signer, self.rng,
                     attempts, now)  # fmt: skip
        try:
            again = await FETCHING_JOBS[kind](run, payload)
        except Exception as error:  # a failed job must not stop the loop: retry, then fail
            if not isinstance(error, FetchError):
                log.exception("job %s failed", job_id)
            await self._retry_job(job_id, attempts, now, error)
            return
        async with self.db.session() as session, session.begin():
            if again is None:
                await queue.complete(session, table(Job), [job_id])
            else:
                await queue.retry(session, table(Job), job_id, run_at=again.at, error=again.why)

    async def _retry_job(self, job_id: int, attempts: int, now: datetime, error: Exception) -> None:
        later = next_attempt_at(attempts, now, None, self.rng)
        why = error.message if isinstance(error, FetchError) else f"{type(error).__name__}: {error}"
        async with self.db.session() as session, session.begin():
            if later is None or attempts >= MAX_JOB_ATTEMPTS:
                await queue.fail(session, table(Job), job_id, error=why)
            else:
                await queue.retry(session, table(Job), job_id, run_at=later, error=why)

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

    async def expand_fanouts(self, now: datetime) -> int:
        """Turn due fan-out jobs into delivery rows (job and rows in one transaction)."""
        done = 0
        async with self.db.session() as session, session.begin():
            jobs = await queue.claim(
                session, table(Job), now=now, lease=LEASE, limit=FANOUT_BATCH,
                where=table(Job).c.kind == FANOUT,
            )  # fmt: skip
        for job in jobs:  # one transaction each: a job that raises never holds back the others
            try:
                async with self.db.session() as session, session.begin():
                    await expand(session, self.uris, int(job.payload["activity_id"]), now)
                    await queue.complete(session, table(Job), [job.id])
            except Exception as error:
                log.exception("fan-out job %s failed", job.id)
                await self._retry_job(job.id, job.attempts, now, error)
                continue
            done += 1
        return done


async def _revive_host(session: AsyncSession, host: str) -> None:
    """A signed request from a host proves it is alive again (PROTOCOL.md "Delivery")."""
    if host:
        await session.execute(
            update(Host)
            .where(Host.host == host, Host.unavailable.is_(True))
            .values(unavailable=False, failure_days=[]),
            execution_options={"synchronize_session": False},
        )


async def _revive_senders(session: AsyncSession, senders: set[str]) -> None:
    """Signed requests from these actors: their hosts and inboxes are alive (batched)."""
    if not senders:
        return
    hosts = {host for host in map(delivery_host, senders) if host}
    await session.execute(
        update(Host)
        .where(Host.host.in_(hosts), Host.unavailable.is_(True))
        .values(unavailable=False, failure_days=[]),
        execution_options={"synchronize_session": False},
    )
    found = await session.execute(
        select(Actor.inbox_uri, Actor.shared_inbox_uri).where(Actor.uri.in_(senders))
    )
    inboxes = {uri for pair in found.all() for uri in pair if uri}
    if inboxes:
        await session.execute(delete(DeadInbox).where(DeadInbox.inbox_uri.in_(inboxes)))


def make_worker(settings: Settings, db: Database, fetcher: Fetcher, signer: httpx.Auth) -> Worker:
    """The production worker: inbox, fan-out and the aiohttp delivery stage."""
    from smartnode.outbox.deliver import Deliverer

    return Worker(settings, db, fetcher, signer=signer, deliverer=Deliverer(db, settings))


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """`smartnode worker`: the loop alone, until `stop` is set."""
    from smartnode.actors.node import ensure_node_actor, node_signer

    db = Database(settings)
    try:
        async with db.session() as session, session.begin():
            node = await ensure_node_actor(session, settings, utc_now())
        async with Fetcher(settings) as fetcher:
            worker = make_worker(settings, db, fetcher, node_signer(node, settings))
            try:
                await worker.run_forever(stop)
            finally:
                await worker.aclose()
    finally:
        await db.dispose()
