"""Public keys of remote actors for the inbox edge: memory → database → fetch.

Rules (PROTOCOL.md "Signatures"): a key belongs to the actor whose document lists it as its own
`publicKey`; a fetched key is stored only after a signature made with it verified (so a new key
from the origin's own document replaces the old one: rotation); a cached key that fails is
refetched once, at most `REFETCHES_PER_MINUTE` times per host; failed lookups are remembered
for `NEGATIVE_TTL` and not retried before. Concurrent requests that need the same key share one
fetch (and one store of its actor), so a burst of POSTs costs the origin one request; a key
seen for the first time reuses a fetch made less than `FETCH_REUSE` seconds ago.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urldefrag

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from smartnode.actors.blocks import host_of
from smartnode.actors.remote import (
    ACTOR_TYPES,
    BadActor,
    RemoteActorData,
    remote_actor_from_ap,
    store_remote_actor,
)
from smartnode.errors import Forbidden, SmartnodeError
from smartnode.federation.fetch import Fetcher, FetchError, HTTPStatusError
from smartnode.federation.signatures import PublicKey, load_public_key_pem
from smartnode.federation.vocab import id_of
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, KeyFailure, table
from smartnode.storage.upsert import insert_ignoring_conflicts

log = logging.getLogger(__name__)

MEMORY_SIZE = 10_000
NEGATIVE_TTL = timedelta(minutes=10)
REFETCHES_PER_MINUTE = 10
FETCH_REUSE = 10.0  # seconds a finished fetch still answers first-contact lookups of its key


@dataclass(frozen=True, slots=True)
class ActorKey:
    """A verified-to-belong key: whose it is and the key object."""

    key_id: str
    owner_uri: str
    key: PublicKey
    fetched: RemoteActorData | None = None  # set when it came from the network just now


class KeyUnavailable(SmartnodeError):
    """No usable key for a key id (gone, unreachable, malformed or negatively cached)."""

    status_code = 401
    code = "key_unavailable"

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


class KeyStore:
    """Keys by key id for the inbox; one per process."""

    def __init__(self, db: Database, fetcher: Fetcher, signer: httpx.Auth | None) -> None:
        self.db = db
        self.fetcher = fetcher
        self.signer = signer
        self._memory: OrderedDict[str, ActorKey] = OrderedDict()
        self._failures: dict[str, float] = {}
        self._refetches: dict[str, deque[float]] = {}
        self._fetching: OrderedDict[str, tuple[float, asyncio.Future[ActorKey]]] = OrderedDict()
        self._storing: dict[str, tuple[ActorKey, asyncio.Future[None]]] = {}

    async def cached(self, key_id: str) -> ActorKey | None:
        """A key we already hold (memory, then database), without any network."""
        found = self._memory.get(key_id)
        if found is not None:
            self._memory.move_to_end(key_id)
            return found
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(Actor.uri, Actor.public_key_pem).where(
                        Actor.key_id == key_id, Actor.deleted_at.is_(None)
                    )
                )
            ).first()
        if row is None or not row.public_key_pem:
            return None
        try:
            key = ActorKey(key_id, row.uri, load_public_key_pem(row.public_key_pem))
        except SmartnodeError:
            return None
        self._remember(key)
        return key

    def may_refetch(self, key_id: str, *, spend: bool = True) -> bool:
        """Rotation refetches are rate-limited per host (`spend=False` only asks) and none is
        made while the key's last lookup failed; joining one in flight is free."""
        entry = self._fetching.get(key_id)
        if entry is not None and not entry[1].done():
            return True
        if self._failures.get(key_id, 0.0) > time.time():
            return False
        window = self._refetches.setdefault(host_of(key_id), deque())
        moment = time.monotonic()
        while window and moment - window[0] > 60:
            window.popleft()
        if len(window) >= REFETCHES_PER_MINUTE:
            return False
        if spend:
            window.append(moment)
        return True

    async def fetch(self, key_id: str, now: datetime, *, reuse: bool = True) -> ActorKey:
        """Fetch the key's owner from its origin (not stored yet). Concurrent calls share one
        fetch; with `reuse` (not for rotation), so do calls within FETCH_REUSE seconds of it."""
        moment = time.monotonic()
        entry = self._fetching.get(key_id)
        if entry is None or (entry[1].done() and not (reuse and moment - entry[0] < FETCH_REUSE)):
            entry = (moment, asyncio.ensure_future(self._fetch(key_id, now)))
            entry[1].add_done_callback(_seen)
            self._fetching[key_id] = entry
            self._fetching.move_to_end(key_id)
            self._prune(moment)
        return await asyncio.shield(entry[1])

    def recently_fetched(self, key_id: str) -> ActorKey | None:
        """The key a fetch of `key_id` found less than FETCH_REUSE seconds ago, if it succeeded:
        a request whose signature failed while that fetch ran tries it before fetching again."""
        entry = self._fetching.get(key_id)
        if entry is None or not entry[1].done() or entry[1].cancelled():
            return None
        if time.monotonic() - entry[0] >= FETCH_REUSE or entry[1].exception() is not None:
            return None
        return entry[1].result()

    def _prune(self, moment: float) -> None:
        """Drop finished fetches older than FETCH_REUSE (the oldest come first)."""
        while self._fetching:
            started, task = next(iter(self._fetching.values()))
            if not task.done() or moment - started < FETCH_REUSE:
                return
            self._fetching.popitem(last=False)

    async def _fetch(self, key_id: str, now: datetime) -> ActorKey:
        """One signed GET of the key's owner (as the node), with the negative cache around it."""
        await self._check_negative(key_id, now)
        try:
            data = await self._fetch_owner(key_id)
            key = ActorKey(key_id, data.uri, load_public_key_pem(data.public_key_pem), data)
        except HTTPStatusError as error:
            await self._fail(key_id, f"HTTP {error.status}", now)
            raise KeyUnavailable(f"key {key_id} answered HTTP {error.status}",
                                 gone=error.status in (404, 410)) from None  # fmt: skip
        except (FetchError, BadActor, SmartnodeError) as error:
            await self._fail(key_id, error.message, now)
            raise KeyUnavailable(f"key {key_id} is unusable: {error.message}") from None
        return key

    async def remember(self, key: ActorKey, now: datetime) -> None:
        """Store a fetched key's actor once a signature made with it verified (once per fetch)."""
        if key.fetched is not None:
            pending = self._storing.get(key.key_id)
            if pending is None or pending[0] is not key:
                task = asyncio.ensure_future(self._store(key.fetched, now))
                pending = (key, task)
                self._storing[key.key_id] = pending
                task.add_done_callback(lambda done: self._stored(key, done))
            await asyncio.shield(pending[1])
        self._remember(ActorKey(key.key_id, key.owner_uri, key.key))

    def _stored(self, key: ActorKey, done: asyncio.Future[None]) -> None:
        """A store ended: held in memory at once if it succeeded (before any waiter resumes)."""
        entry = self._storing.get(key.key_id)
        if entry is not None and entry[1] is done:
            del self._storing[key.key_id]
        if not done.cancelled() and done.exception() is None:
            self._remember(ActorKey(key.key_id, key.owner_uri, key.key))
        _seen(done)

    async def _store(self, data: RemoteActorData, now: datetime) -> None:
        """Insert or refresh the actor; when another transaction (the worker resolving the same
        actor) inserted it between our read and our write, refresh that row instead."""
        for last_try in (False, True):
            try:
                async with self.db.session() as session, session.begin():
                    await store_remote_actor(session, data, now, key_rotation=True)
                return
            except Forbidden as error:  # a document claiming one of our own ids
                raise KeyUnavailable(error.message) from None
            except IntegrityError:
                if last_try:
                    raise

    def forget(self, key_id: str) -> None:
        self._memory.pop(key_id, None)

    def _remember(self, key: ActorKey) -> None:
        self._memory[key.key_id] = key
        self._memory.move_to_end(key.key_id)
        while len(self._memory) > MEMORY_SIZE:
            self._memory.popitem(last=False)

    async def _fetch_owner(self, key_id: str) -> RemoteActorData:
        url, _ = urldefrag(key_id)
        document = (await self.fetcher.fetch_json(url, signer=self.signer)).data
        if document.get("type") not in ACTOR_TYPES:  # a Key document (GoToSocial): go to owner
            owner = id_of(document.get("owner"))
            if document.get("id") != url or not owner or owner == url:
                raise BadActor(f"{url} is neither an actor nor a key with an owner")
            document = (await self.fetcher.fetch_json(owner, signer=self.signer)).data
        data = remote_actor_from_ap(document)
        if data.key_id != key_id:
            raise BadActor(f"{data.uri} does not list {key_id} as its key")
        return data

    async def _check_negative(self, key_id: str, now: datetime) -> None:
        until = self._failures.get(key_id)
        if until is None:
            async with self.db.session() as session:
                row = await session.get(KeyFailure, key_id)
            until = row.retry_at.timestamp() if row is not None else None
        if until is not None and until > now.timestamp():
            raise KeyUnavailable(f"key {key_id} failed recently; not fetched again yet")

    async def _fail(self, key_id: str, reason: str, now: datetime) -> None:
        retry_at = now + NEGATIVE_TTL
        self._failures[key_id] = retry_at.timestamp()
        log.info("key %s unavailable: %s", key_id, reason)
        values = {"reason": reason[:500], "retry_at": retry_at}
        failures = table(KeyFailure)
        async with self.db.session() as session, session.begin():
            changed = await session.execute(
                update(failures).where(failures.c.key_id == key_id).values(**values)
            )
            if not getattr(changed, "rowcount", 0):  # another process may insert it meanwhile
                await insert_ignoring_conflicts(session, failures, [{"key_id": key_id, **values}])


def _seen(done: asyncio.Future[Any]) -> None:
    """Mark a shared task's error as retrieved (its waiters may all have gone)."""
    if not done.cancelled():
        done.exception()
