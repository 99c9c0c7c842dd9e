"""The worker's inbox lane: claim stored messages, settle what concerns no one (triage), and run
the rest through their handlers, concurrently across actors and in order within one actor.

Order: a claim never takes a message while an earlier message of the same actor is leased (in
flight, here or in another worker), and one actor's messages of a batch run one after the
other, so a Create, its Update and its Delete end as they were sent. Network: handlers run with
`Prefetched` (federation/prefetch.py), so every fetch happens with no transaction open and a
slow origin delays only the messages that need it. Every message ends: done with its outcome,
or retried with jittered backoff and failed with its reason after MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Row, and_, delete, exists, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.blocks import BlockList
from smartnode.actors.resolve import FetchingResolver, fresh_actors
from smartnode.config import Settings
from smartnode.federation.delivery import next_attempt_at
from smartnode.federation.fetch import FetchBudget, Fetcher, FetchError
from smartnode.federation.prefetch import NeedsFetch, Prefetched
from smartnode.federation.signer import utc_now
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import first_id, id_of
from smartnode.inbox.dispatch import InboxContext, dispatch, named_ids
from smartnode.inbox.triage import record_settled, triage
from smartnode.outbox.fanout import delivery_host
from smartnode.storage import queue
from smartnode.storage.db import Database
from smartnode.storage.in_lists import few_lengths
from smartnode.storage.models import Actor, DeadInbox, DeletedObject, Host, InboxMessage, table
from smartnode.storage.read_ahead import read_local, read_remote_actors, read_stored

log = logging.getLogger(__name__)

BATCH = 200
#: Messages of actors we hold fresh are handled this many to a transaction.
GROUP = 50
CONCURRENCY = 16
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FETCHES_PER_ACTIVITY = 10
#: At most this many of our actors' ids, and of our objects', are read ahead for a group.
READ_AHEAD = 500


def _not_behind_a_leased_message(now: datetime) -> Any:
    """No earlier message of the same actor is in flight right now (kept per actor order).

    The probe reads the partial index of leased messages (ix_inbox_messages_leased): its
    state is written as a literal, so that every plan (a prepared statement's generic one
    too) can prove the index's condition."""
    inbox = table(InboxMessage)
    earlier = inbox.alias("earlier")
    return ~exists().where(
        and_(
            earlier.c.actor_uri == inbox.c.actor_uri,
            earlier.c.state == literal_column(f"'{queue.PENDING}'"),
            earlier.c.locked_until > now,
            earlier.c.id < inbox.c.id,
        )
    )


class InboxLane:
    """Stored inbox messages through triage and their handlers."""

    def __init__(
        self,
        settings: Settings,
        uris: NodeUris,
        db: Database,
        fetcher: Fetcher,
        signer: httpx.Auth | None,
        rng: random.Random,
    ) -> None:
        self.settings, self.uris, self.db = settings, uris, db
        self.fetcher, self.signer, self.rng = fetcher, signer, rng
        self.blocks = BlockList(db)
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)
        # SQLite has one writer: transactions that queue here instead of in its busy handler
        # (which sleeps) run back to back; fetches still overlap, being outside them.
        self._one_writer = asyncio.Lock() if settings.database_url.startswith("sqlite") else None
        # One group at a time: two long transactions bumping the same counters (a call's likes)
        # would wait on each other's row locks.
        self._one_group = asyncio.Lock()
        # Claimed messages this lane could neither settle nor put back (the database went
        # away): released at the next round instead of waiting out their lease, which would
        # also hold back every later message of their actors.
        self._stranded: set[int] = set()
        #: The inbox has a backlog, and the embedding lane yields: from the start until a claim
        #: finds nothing due with no message in flight, and again from a claim of a quarter of
        #: a batch or more (claims skip messages behind their actors' leased ones, so a backlog
        #: rarely fills a batch, and a short or empty claim in the middle of a drain does not
        #: end it).
        self.backlogged = True

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def run_once(self, now: datetime) -> int:
        """Claim one batch and see all of it through; how many messages it held."""
        claimed = await self.start(now)
        await self.wait_all()
        return claimed

    async def start(self, now: datetime, limit: int = BATCH) -> int:
        """Claim up to `limit` messages, settle what triage can, start the rest (one task per
        actor); how many were claimed."""
        await self._release_stranded()
        async with self.db.session() as session, session.begin():
            rows = await queue.claim(
                session, table(InboxMessage), now=now, lease=LEASE, limit=limit,
                where=_not_behind_a_leased_message(now),
            )  # fmt: skip
        if len(rows) >= max(1, limit // 4):
            self.backlogged = True
        elif not rows and not self._running:
            self.backlogged = False
        if not rows:
            return 0
        try:
            remaining, warm, unmarked = await self._settle(rows, now)
        except Exception:
            self._stranded.update(row.id for row in rows)
            raise
        grouped = [row for row in remaining if row.actor_uri in warm]
        by_actor: dict[str, list[Row[Any]]] = {}
        for row in remaining:
            if row.actor_uri not in warm:
                by_actor.setdefault(row.actor_uri, []).append(row)
        if grouped:
            self._spawn(self._run_grouped(grouped, now, unmarked))
        for actor_rows in by_actor.values():
            self._spawn(self._run_in_order(actor_rows, now, unmarked))
        return len(rows)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def wait_all(self) -> None:
        while self._running:
            await asyncio.wait(set(self._running))

    async def _settle(
        self, rows: Sequence[Row[Any]], now: datetime
    ) -> tuple[list[Row[Any]], set[str], set[str]]:
        """Triage the batch in one transaction (and note that its senders live, PROTOCOL.md
        "Delivery"); the messages whose handlers must run, which of their actors we hold fresh
        (their messages likely need no fetch), and which of their activity and object ids have
        no deletion marker (read once here instead of once per message)."""
        async with self._writer(), self.db.session() as session, session.begin():
            settled, remaining = await triage(session, self.uris, rows, await self.blocks.domains())
            await record_settled(session, settled, now)
            await revive_senders(session, {row.actor_uri for row in rows})
            warm = await fresh_actors(session, {row.actor_uri for row in remaining}, now)
            unmarked = await unmarked_ids(session, remaining)
        return remaining, warm, unmarked

    async def _run_grouped(self, rows: list[Row[Any]], now: datetime, unmarked: set[str]) -> None:
        """Messages of actors we hold fresh, GROUP to a transaction, in order."""
        async with self._slots:
            for start in range(0, len(rows), GROUP):
                await self._run_group(rows[start : start + GROUP], now, unmarked)

    async def _run_group(self, rows: list[Row[Any]], now: datetime, unmarked: set[str]) -> None:
        """One transaction for the lot; when one message fails or needs a fetch, the others
        are committed without it and it (with its actor's later ones) goes on alone."""
        while rows:
            failed_at = await self._try_group(rows, now, unmarked)
            if failed_at is None:
                return
            if failed_at:
                await self._run_group(rows[:failed_at], now, unmarked)
            actor = rows[failed_at].actor_uri
            alone = [r for r in rows[failed_at:] if r.actor_uri == actor]
            self._spawn(self._run_in_order(alone, now, unmarked))
            rows = [row for row in rows[failed_at:] if row.actor_uri != actor]

    async def _try_group(
        self, rows: list[Row[Any]], now: datetime, unmarked: set[str]
    ) -> int | None:
        """Dispatch every message in one transaction; None when committed, else the index of
        the message that raised (or needed a fetch): then nothing is kept."""
        done = 0
        try:
            async with self._writer(), self.db.session() as session, session.begin():
                blocked = await self.blocks.domains()
                await self._read_ahead(session, rows)
                reasons: dict[str | None, list[int]] = {}
                for row in rows:
                    reason = await self._handle(session, row, blocked, now, unmarked)
                    reasons.setdefault(reason, []).append(row.id)
                    done += 1
                for reason, ids in reasons.items():
                    await queue.complete(session, table(InboxMessage), ids, last_error=reason)
        except Exception:  # the message goes on alone, where a failure is reported
            return min(done, len(rows) - 1)
        return None

    async def _read_ahead(self, session: AsyncSession, rows: list[Row[Any]]) -> None:
        """The group's senders, our actors and objects its messages name, and the other
        objects they act on, in four statements: the handlers' look-ups then find them in the
        session."""
        await read_remote_actors(session, {row.actor_uri for row in rows})
        named = set().union(*(named_ids(row.body) for row in rows))
        named.update(row.inbox.removesuffix("/inbox") for row in rows)  # a member's own inbox
        uris = self.uris
        ours = [i for i in named if uris.note_token(i) or uris.call_token(i) or uris.event_token(i)]
        actors = [i for i in named if uris.parse_actor(i)]
        # a message may name tens of thousands of ids: the handlers look the rest up themselves
        await read_local(session, sorted(actors)[:READ_AHEAD], sorted(ours)[:READ_AHEAD])
        acted_on = {i for row in rows if (i := first_id(_object_of(row.body)))}
        acted_on = {i for i in acted_on if not uris.is_local(i)}  # ours are read above
        await read_stored(session, sorted(acted_on)[:READ_AHEAD])

    async def _handle(
        self,
        session: AsyncSession,
        row: Row[Any],
        blocked: frozenset[str],
        now: datetime,
        unmarked: set[str],
    ) -> str | None:
        """Dispatch one claimed message with no fetch allowed; the reason when ignored."""
        resolver = FetchingResolver(
            session, self.uris, Prefetched(self.fetcher), now=now, signer=self.signer,
            budget=FetchBudget(FETCHES_PER_ACTIVITY), blocked=blocked,
        )  # fmt: skip
        context = InboxContext(session, self.settings, self.uris, now, resolver, blocked, unmarked)
        outcome = await dispatch(context, InboxMessage(**row._mapping))
        return outcome.reason if outcome.status == "ignored" else None

    async def _run_in_order(self, rows: list[Row[Any]], now: datetime, unmarked: set[str]) -> None:
        async with self._slots:
            for index, row in enumerate(rows):
                try:
                    await self.process_one(row.id, row.attempts, now, unmarked)
                except Exception:  # not even put back (the database is away): next round
                    log.exception("inbox message %s could not be put back", row.id)
                    self._stranded.update(later.id for later in rows[index:])
                    return

    async def _release_stranded(self) -> None:
        """Put back the messages stranded by a database outage, so they run again now."""
        if not self._stranded:
            return
        ids = sorted(self._stranded)
        async with self.db.session() as session, session.begin():
            messages = table(InboxMessage)
            await session.execute(
                update(messages)
                .where(messages.c.id.in_(few_lengths(ids)), messages.c.state == queue.PENDING)
                .values(locked_until=None),
                execution_options={"synchronize_session": False},
            )
        self._stranded.difference_update(ids)

    async def process_one(
        self, message_id: int, attempts: int, now: datetime, unmarked: set[str] | None = None
    ) -> None:
        """Dispatch one message; fetch what it needs between tries, never inside one.
        `unmarked`: ids known to have no deletion marker (InboxContext.unmarked)."""
        budget = FetchBudget(FETCHES_PER_ACTIVITY)
        source = Prefetched(self.fetcher)
        try:
            for _ in range(2 * FETCHES_PER_ACTIVITY):
                try:
                    await self._dispatch(message_id, source, budget, now, unmarked)
                    return
                except NeedsFetch as need:
                    await source.fetch(need.request, budget)
            raise FetchError(f"more than {FETCHES_PER_ACTIVITY} documents needed")
        except FetchError as error:
            await self._retry(message_id, attempts, now, error.message)
        except Exception as error:  # a handler bug must not lose the message: retry, then fail
            log.exception("inbox message %s failed", message_id)
            await self._retry(message_id, attempts, now, f"{type(error).__name__}: {error}")

    async def _dispatch(
        self,
        message_id: int,
        source: Prefetched,
        budget: FetchBudget,
        now: datetime,
        unmarked: set[str] | None,
    ) -> None:
        """One try, in one transaction: dispatch and complete."""
        async with self._writer(), self.db.session() as session, session.begin():
            message = await session.get(InboxMessage, message_id)
            if message is None:
                return
            blocked = await self.blocks.domains()
            resolver = FetchingResolver(
                session, self.uris, source, now=now, signer=self.signer, budget=budget,
                blocked=blocked,
            )  # fmt: skip
            context = InboxContext(
                session, self.settings, self.uris, now, resolver, blocked, unmarked
            )
            outcome = await dispatch(context, message)
            reason = outcome.reason if outcome.status == "ignored" else None
            await queue.complete(session, table(InboxMessage), [message_id], last_error=reason)

    def _writer(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._one_writer if self._one_writer is not None else contextlib.nullcontext()

    async def _retry(self, message_id: int, attempts: int, now: datetime, error: str) -> None:
        later = next_attempt_at(attempts, now, None, self.rng)
        async with self.db.session() as session, session.begin():
            if later is None or attempts >= MAX_ATTEMPTS:
                await queue.fail(session, table(InboxMessage), message_id, error=error)
            else:
                await queue.retry(
                    session, table(InboxMessage), message_id, run_at=later, error=error
                )

    async def run_forever(self, stop: asyncio.Event, wake: asyncio.Event, idle: float) -> None:
        """Claim batches while fewer than CONCURRENCY tasks are in flight; after a short batch
        wait for a task to finish, a new message or `idle` seconds (no claim storms)."""
        while not stop.is_set():
            started = 0
            if self.in_flight < CONCURRENCY:
                try:
                    started = await self.start(utc_now())
                except Exception:  # keep the lane alive; claimed rows come back after the lease
                    log.exception("inbox batch failed")
            if started >= BATCH:
                continue  # a backlog: take the next batch at once
            # What is left waits on messages in flight (one actor's order), or on new ones.
            wake.clear()
            signals = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            waits: set[asyncio.Future[Any]] = {*signals, *self._running}
            await asyncio.wait(waits, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            for signal in signals:
                signal.cancel()
        await self.wait_all()


def _object_of(body: Any) -> Any:
    return body.get("object") if isinstance(body, dict) else None


async def unmarked_ids(session: AsyncSession, rows: Sequence[Row[Any]]) -> set[str]:
    """The activity and object ids of `rows` that no deletion marker names, in one query."""
    ids: set[str] = set()
    for row in rows:
        body = row.body if isinstance(row.body, dict) else {}
        ids.update(uri for uri in (id_of(body.get("id")), first_id(body.get("object"))) if uri)
    if not ids:
        return ids
    marked = await session.scalars(
        select(DeletedObject.uri).where(DeletedObject.uri.in_(few_lengths(ids)))
    )
    return ids - set(marked.all())


async def revive_senders(session: AsyncSession, senders: set[str]) -> None:
    """Signed requests from these actors: their hosts and inboxes are alive again (PROTOCOL.md
    "Delivery"), in two statements for the lot."""
    hosts = {host for host in map(delivery_host, senders) if host}
    if not hosts:
        return
    await session.execute(
        update(Host)
        .where(Host.host.in_(few_lengths(hosts)), Host.unavailable.is_(True))
        .values(unavailable=False, failure_days=[]),
        execution_options={"synchronize_session": False},
    )
    found = await session.execute(
        select(Actor.inbox_uri, Actor.shared_inbox_uri).where(Actor.uri.in_(few_lengths(senders)))
    )
    inboxes = {uri for pair in found.all() for uri in pair if uri}
    if inboxes:
        await session.execute(
            delete(DeadInbox).where(DeadInbox.inbox_uri.in_(few_lengths(inboxes)))
        )
