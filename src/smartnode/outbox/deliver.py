"""Stage three: deliver claimed Delivery rows to remote inboxes, concurrently and signed.

`Deliverer` (one per worker process) keeps requests in flight ACROSS `run_once` calls: each call
claims as many due rows as there is room for (overall cap), starts them (per-host cap, per-host
breaker), waits until there is room for another full batch — or, once the queue is drained,
until all have finished or `straggler_wait` passes — and writes every finished row in one
transaction. A dead host therefore holds a slot until its timeout but never stalls the others;
a host whose last answer was trouble gets one request at a time, and rows of a host whose
breaker is open are not claimed, or are pushed back to the breaker's end without a request and
without spending an attempt. Each attempt is signed anew with the sender's key: RFC 9421 for
hosts known to take it, draft-cavage otherwise, double-knocking once on 401.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode import __version__
from smartnode.config import Settings
from smartnode.federation.addresses import AddressPolicy
from smartnode.federation.delivery import Breaker, Outcome, classify, next_attempt_at
from smartnode.federation.signatures import sign_request_cavage, sign_request_rfc9421
from smartnode.federation.signatures_core import Scheme
from smartnode.federation.transport import Resolver
from smartnode.federation.vocab import ACTIVITY_JSON
from smartnode.outbox.delivery_client import Answer, DeliveryClient
from smartnode.outbox.delivery_rows import Result, write_results
from smartnode.outbox.signing_keys import SigningKey, SigningKeys
from smartnode.storage.db import Database
from smartnode.storage.in_lists import few_lengths
from smartnode.storage.models import Activity, Delivery, Host, table
from smartnode.storage.queue import claim

log = logging.getLogger(__name__)

BODY_CACHE = 256
#: What an attempt came to, named by the row's new state (deferred: the host's breaker is open).
OUTCOMES = {"done": "delivered", "pending": "retry", "gone": "gone", "failed": "failed"}
DEFERRED = "deferred"
SUCCESS_NOTED_FOR = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """Tuning of one Deliverer; the defaults suit production."""

    batch_size: int = 200
    lease: timedelta = timedelta(minutes=2)
    max_in_flight: int = 512
    per_host: int = 8
    timeout: float = 10.0  # seconds for one POST, connect to last byte
    straggler_wait: float | None = 0.5  # None: a drained queue waits for every request


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed row with what it needs to be sent."""

    row_id: int
    inbox_uri: str
    host: str
    attempts: int
    last_status: int | None
    body: bytes
    key: SigningKey


class Deliverer:
    """Delivers our activities; call `run_once(now)` in a loop and `aclose()` at the end."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        options: DeliveryOptions | None = None,
        policy: AddressPolicy | None = None,
        resolver: Resolver | None = None,
        breaker: Breaker | None = None,
        keys: SigningKeys | None = None,
        on_attempt: Callable[[str, float | None], None] | None = None,
    ) -> None:
        """`on_attempt(outcome, seconds)` hears of each attempt (the node's metrics)."""
        self.db = db
        self.on_attempt = on_attempt or _ignore
        self.options = options or DeliveryOptions(
            lease=timedelta(seconds=settings.delivery_lease_seconds)
        )
        self.breaker = breaker or Breaker()
        self.keys = keys or SigningKeys(settings.secret())
        self.client = DeliveryClient(
            policy or AddressPolicy(allow_private=settings.allow_private_addresses),
            resolver=resolver,
            timeout=self.options.timeout,
            max_connections=self.options.max_in_flight,
            per_host=self.options.per_host,
            allow_http=settings.allow_private_addresses,
            user_agent=f"smartnode/{__version__} (+{settings.base_url}/)",
        )
        self._bodies: OrderedDict[int, tuple[int, bytes]] = OrderedDict()
        self._rfc9421: dict[str, bool] = {}
        self._open: dict[str, datetime] = {}  # hosts whose breaker is open, until when
        self._suspect: set[str] = set()  # last answer was trouble: one request at a time
        self._success_noted: dict[str, datetime] = {}  # when a host's success was last written
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}
        self._tasks: set[asyncio.Task[Result]] = set()
        self._finished: list[Result] = []
        self._progress = asyncio.Event()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def run_once(self, now: datetime) -> int:
        """Claim what there is room for, start it, write what has finished.

        Returns the rows written or, when none has finished yet, the rows claimed (a worker
        loop sleeps only on 0).
        """
        room = self.options.max_in_flight - len(self._tasks)
        limit = min(self.options.batch_size, room)
        jobs, claimed = await self._claim(now, limit) if limit > 0 else ([], 0)
        for job in jobs:
            self._start(job, now)
        if claimed == limit:  # more may be due (or no room): wait for room for a full batch
            full = self.options.max_in_flight - self.options.batch_size
            await self._wait(lambda: len(self._tasks) <= full, None)
        else:  # the queue is drained: wait for the stragglers, a while
            await self._wait(lambda: not self._tasks, self.options.straggler_wait)
        written = await self._write(now)
        return written or claimed

    async def drain(self, now: datetime) -> int:
        """Wait for every request in flight and write the rows; how many were written."""
        await self._wait(lambda: not self._tasks, None)
        return await self._write(now)

    async def aclose(self) -> None:
        """Write what has finished, cancel what is in flight (those rows' leases expire and
        they run again), close the client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self._write(datetime.now(UTC))
        finally:
            await self.client.aclose()

    # -- claiming ---------------------------------------------------------------------------

    async def _claim(self, now: datetime, limit: int) -> tuple[list[Job], int]:
        deliveries = table(Delivery)
        skip = self._hosts_to_skip(now)
        where = deliveries.c.host.not_in(skip) if skip else None
        async with self.db.session() as session, session.begin():
            rows = await claim(
                session, deliveries, now=now, lease=self.options.lease, limit=limit, where=where
            )
            hosts = await self._host_facts(session, {row.host for row in rows}, now)
            runnable = [row for row in rows if not self._pushed_back(row, hosts.get(row.host))]
            bodies = await self._load_bodies(session, {row.activity_id for row in runnable})
            keys = await self.keys.load(session, {actor for actor, _ in bodies.values()})
        jobs = [job for row in runnable if (job := self._job(row, bodies, keys)) is not None]
        return jobs, len(rows)

    def _hosts_to_skip(self, now: datetime) -> list[str]:
        """Hosts whose breaker is open, that have a long queue here, or that are in trouble
        and already have a request out (a dead host holds one slot, not one per activity)."""
        self._open = {host: until for host, until in self._open.items() if until > now}
        backlog = 4 * self.options.per_host
        busy = [
            host
            for host, (_, users) in self._slots.items()
            if users >= (1 if host in self._suspect else backlog)
        ]
        return sorted({*self._open, *busy})

    async def _host_facts(
        self, session: AsyncSession, hosts: set[str], now: datetime
    ) -> dict[str, datetime | None]:
        """Learn each host's signature scheme; the breaker end of hosts open elsewhere."""
        if not hosts:
            return {}
        found = await session.execute(
            select(Host.host, Host.supports_rfc9421, Host.breaker_until).where(
                Host.host.in_(few_lengths(sorted(hosts)))
            )
        )
        facts: dict[str, datetime | None] = {}
        for host, rfc9421, until in found.all():
            if rfc9421 is not None:
                self._rfc9421[host] = bool(rfc9421)
            facts[host] = until if until is not None and until > now else None
        return facts

    def _pushed_back(self, row: Row[Any], until: datetime | None) -> bool:
        """Push a row of a host whose breaker is open back to the breaker's end."""
        if until is None:
            return False
        self._open[row.host] = until
        self.on_attempt(DEFERRED, None)
        self._finish(_pushback(row.id, row.host, row.attempts, row.last_status, until))
        return True

    async def _load_bodies(
        self, session: AsyncSession, ids: set[int]
    ) -> dict[int, tuple[int, bytes]]:
        """Serialised documents (and senders) of these activities, each serialised once."""
        missing = sorted(i for i in ids if i not in self._bodies)
        if missing:
            found = await session.execute(
                select(Activity.id, Activity.actor_id, Activity.document).where(
                    Activity.id.in_(few_lengths(missing))
                )
            )
            for activity_id, actor_id, document in found.all():
                self._bodies[activity_id] = (actor_id, orjson.dumps(document))
        for activity_id in ids:
            if activity_id in self._bodies:
                self._bodies.move_to_end(activity_id)
        while len(self._bodies) > BODY_CACHE:
            self._bodies.popitem(last=False)
        return {i: self._bodies[i] for i in ids if i in self._bodies}

    def _job(
        self,
        row: Row[Any],
        bodies: dict[int, tuple[int, bytes]],
        keys: dict[int, SigningKey],
    ) -> Job | None:
        sender, body = bodies.get(row.activity_id, (0, b""))
        key = keys.get(sender)
        if key is None:
            error = f"actor {sender} has no usable signing key"
            self.on_attempt("failed", None)
            self._finish(Result.final(row.id, row.host, "failed", row.attempts, None, error))
            return None
        return Job(row.id, row.inbox_uri, row.host, row.attempts, row.last_status, body, key)

    # -- sending ----------------------------------------------------------------------------

    def _start(self, job: Job, now: datetime) -> None:
        semaphore, users = self._slots.get(job.host, (None, 0))
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.options.per_host)
        self._slots[job.host] = (semaphore, users + 1)
        task = asyncio.create_task(self._attempt(job, semaphore, now))
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._done(job.host, done))

    def _done(self, host: str, task: asyncio.Task[Result]) -> None:
        self._tasks.discard(task)
        semaphore, users = self._slots.pop(host, (None, 0))
        if semaphore is not None and users > 1:
            self._slots[host] = (semaphore, users - 1)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:  # a bug: the row's lease expires and it runs again
            log.error("delivery attempt crashed", exc_info=error)
            return
        self._finish(task.result())

    def _finish(self, result: Result) -> None:
        self._finished.append(result)
        self._progress.set()

    async def _attempt(self, job: Job, semaphore: asyncio.Semaphore, now: datetime) -> Result:
        async with semaphore:
            if not self.breaker.allows(job.host, now):
                until = self.breaker.open_until(job.host) or now
                self.on_attempt(DEFERRED, None)
                return _pushback(job.row_id, job.host, job.attempts, job.last_status, until)
            started = time.perf_counter()
            result = await self.deliver_one(job, now)
            self.on_attempt(OUTCOMES.get(result.state, result.state), time.perf_counter() - started)
            return result

    async def deliver_one(self, job: Job, now: datetime) -> Result:
        """Sign and POST one row's activity; double-knock once on 401; judge the answer."""
        first: Scheme = "rfc9421" if self._rfc9421.get(job.host) else "cavage"
        answer = await self._post(job, first, now)
        learned: bool | None = None
        if answer.status == 401:
            second: Scheme = "cavage" if first == "rfc9421" else "rfc9421"
            answer = await self._post(job, second, now)
            if answer.status is not None and answer.status != 401:
                learned = second == "rfc9421"
                self._rfc9421[job.host] = learned
        return self._judge(job, answer, now, learned)

    async def _post(self, job: Job, scheme: Scheme, now: datetime) -> Answer:
        sign = sign_request_rfc9421 if scheme == "rfc9421" else sign_request_cavage
        headers = {"Content-Type": ACTIVITY_JSON}
        try:
            headers.update(
                sign("POST", job.inbox_uri, headers, job.body, job.key.key_id,
                     job.key.private_key, now)
            )  # fmt: skip
        except ValueError as exc:  # an inbox URL that cannot be signed (not absolute)
            return Answer(None, error=f"cannot sign for {job.inbox_uri[:200]!r}: {exc}",
                          refused=True)  # fmt: skip
        return await self.client.post(job.inbox_uri, job.body, headers)

    def _judge(self, job: Job, answer: Answer, now: datetime, learned: bool | None) -> Result:
        if answer.refused:
            return Result.final(job.row_id, job.host, "failed", job.attempts, None, answer.error)
        outcome = classify(answer.status)
        trouble = answer.status is None or answer.status >= 500
        if trouble:
            self._suspect.add(job.host)
            self.breaker.failure(job.host, now)
            if (until := self.breaker.open_until(job.host)) is not None:
                self._open[job.host] = until
        else:
            self._suspect.discard(job.host)
            self.breaker.success(job.host)
            self._open.pop(job.host, None)
        result = Result.final(job.row_id, job.host, outcome.value, job.attempts, answer.status,
                              answer.error, learned=learned)  # fmt: skip
        if outcome is Outcome.DONE:
            result.delivered_at, result.host_ok = now, True
        elif outcome is Outcome.RETRY:
            again = next_attempt_at(job.attempts, now, answer.retry_after)
            result.state = "pending" if again is not None else "failed"
            result.run_at = again
            result.last_error = answer.error or f"HTTP {answer.status}"
        elif outcome is not Outcome.GONE:
            result.last_error = f"HTTP {answer.status}"
        result.host_failed = trouble
        result.breaker_until = self.breaker.open_until(job.host)
        return result

    # -- waiting and writing ----------------------------------------------------------------

    async def _wait(self, enough: Callable[[], bool], seconds: float | None) -> None:
        """Until `enough()` or nothing is in flight, at most `seconds` (None: no limit)."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while self._tasks and not enough():
            self._progress.clear()
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return
            try:
                async with asyncio.timeout(left):
                    await self._progress.wait()
            except TimeoutError:
                return

    async def _write(self, now: datetime) -> int:
        results, self._finished = self._finished, []
        self._quiet_successes(results, now)
        if results:
            async with self.db.session() as session, session.begin():
                await write_results(session, results, now)
        return len(results)

    def _quiet_successes(self, results: list[Result], now: datetime) -> None:
        """Tell the hosts table of a success only when there is news: the first success in a
        while, or after a failure (a host answering every minute needs no row update each)."""
        for result in results:
            if result.host_failed:
                self._success_noted.pop(result.host, None)
            elif result.host_ok and result.learned is None and result.breaker_until is None:
                noted = self._success_noted.get(result.host)
                if noted is not None and now - noted < SUCCESS_NOTED_FOR:
                    result.host_ok = False
                else:
                    self._success_noted[result.host] = now


def _ignore(outcome: str, seconds: float | None) -> None:
    """No one listens to delivery attempts (metrics are off)."""


def _pushback(
    row_id: int,
    host: str,
    attempts: int,
    last_status: int | None,
    until: datetime,
) -> Result:
    """A row given back untried until `until` (the attempt its claim counted is returned)."""
    result = Result.final(row_id, host, "pending", max(attempts - 1, 0), last_status,
                          f"host breaker open until {until.isoformat()}")  # fmt: skip
    result.run_at = until
    return result
