"""Find an actor row by id or handle, fetching and storing remote actors when needed.

Local ids and handles are read from our rows, never fetched. A remote actor is fetched from
its own id through the Fetcher (SSRF guard, caps) and stored with store_remote_actor, which
refuses a silent key swap and any document claiming a local id. Failures that will not heal
(404/410, a refused document, a blocked domain, a swapped key) give None; a failure that
may heal (timeout, network, 5xx, 429) raises FetchError so the worker retries the message.

Handles (Mastodon's rule): each fetch confirms the handle the actor claims through WebFinger
(loop-back checked, the subject's domain wins); when WebFinger refuses it, the actor is shown
by the authority of its id; when WebFinger cannot answer now, the row stays unresolved and the
next use (in another resolver) tries again. Rows fetched more than a day ago, or stored from
their key alone by the inbox edge, are refetched on use, so a stored domain is corrected there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.blocks import host_of, is_blocked
from smartnode.actors.records import find_local_actor
from smartnode.actors.remote import (
    BadActor,
    RemoteActorData,
    get_remote_actor,
    remote_actor_from_ap,
    store_remote_actor,
)
from smartnode.errors import BadRequest, Forbidden
from smartnode.federation.fetch import (
    BudgetExhausted,
    DocumentSource,
    FetchBudget,
    FetchedDocument,
    FetchError,
    HTTPStatusError,
    RefusedUrl,
)
from smartnode.federation.uris import NodeUris
from smartnode.federation.webfinger_client import (
    Handle,
    WebFingerClient,
    WebFingerError,
    claimed_handle,
    parse_handle,
)
from smartnode.storage.models import Actor, DomainBlock
from smartnode.storage.read_ahead import local_actor

log = logging.getLogger(__name__)

#: Interop: Mastodon refreshes a remote account it has not fetched for a day.
MAX_AGE = timedelta(days=1)
_TRANSIENT_STATUSES = frozenset({408, 429})


class ActorResolver(Protocol):
    """Actors by id (local rows, stored or fetched remote rows) and by `user@host` handle."""

    async def actor(self, uri: str, *, refresh: bool = False) -> Actor | None: ...

    async def account(self, handle: str) -> Actor | None: ...


def _transient(error: FetchError) -> bool:
    """True for failures worth retrying later (network, timeouts, 5xx, 408/429)."""
    if isinstance(error, HTTPStatusError):
        return error.status >= 500 or error.status in _TRANSIENT_STATUSES
    if isinstance(error, RefusedUrl | BudgetExhausted | WebFingerError):
        return False
    return error.code in ("fetch_failed", "fetch_timeout")


class FetchingResolver:
    """ActorResolver over the Fetcher, in the caller's transaction (it flushes, never commits)."""

    def __init__(
        self,
        session: AsyncSession,
        uris: NodeUris,
        fetcher: DocumentSource,
        *,
        now: datetime,
        signer: httpx.Auth | None = None,
        budget: FetchBudget | None = None,
        blocked: frozenset[str] | None = None,
    ) -> None:
        self.session = session
        self.uris = uris
        self.fetcher = fetcher
        self.now = now
        self.signer = signer
        self.budget = budget
        self._refreshed: set[str] = set()
        self._blocked_domains = blocked  # the caller's cached domain blocks, else read here

    async def actor(self, uri: str, *, refresh: bool = False) -> Actor | None:
        """A live actor row for `uri`; refetched when asked, unknown or older than a day."""
        if self.uris.is_local(uri):
            return await local_actor(self.session, uri)
        stored = await get_remote_actor(self.session, uri)
        if stored is not None and stored.deleted_at is not None:
            return None  # a deleted actor stays deleted
        if stored is None or refresh:
            return await self._fetch_and_store(uri)
        if stored.fetched_at is not None and self.now - stored.fetched_at < MAX_AGE:
            return stored
        if uri in self._refreshed:
            return stored  # tried once already in this unit of work
        try:  # stale: refresh, but the stored copy still serves when the origin fails
            return await self._fetch_and_store(uri) or stored
        except FetchError:
            return stored

    async def account(self, handle: str) -> Actor | None:
        """The actor a `user@host` handle names (WebFinger, loop-back checked), or None."""
        username = self.uris.parse_acct(handle)
        if username is not None:
            actor = await find_local_actor(self.session, username)
            return actor if actor is not None and actor.deleted_at is None else None
        try:
            host = parse_handle(handle).host
        except BadRequest:
            return None
        if await self._blocked(f"https://{host}/"):
            return None
        try:
            result = await self._webfinger().lookup(handle)
        except FetchError as error:
            return self._failed(handle, error)
        return await self._store(result.actor, handle=result.handle)

    def _webfinger(self) -> WebFingerClient:
        """https, or http when this node itself runs on http (a local demo network)."""
        scheme = urlsplit(self.uris.base_url).scheme
        return WebFingerClient(self.fetcher, scheme=scheme, signer=self.signer, budget=self.budget)

    async def _blocked(self, uri: str) -> bool:
        if self._blocked_domains is None:
            found = await self.session.scalars(select(DomainBlock.domain))
            self._blocked_domains = frozenset(found.all())
        return is_blocked(host_of(uri), self._blocked_domains)

    async def _fetch_and_store(self, uri: str) -> Actor | None:
        self._refreshed.add(uri)
        if await self._blocked(uri):
            log.info("not fetching %s: blocked domain", uri)
            return None
        try:
            document = await self.fetcher.fetch_json(uri, signer=self.signer, budget=self.budget)
        except FetchError as error:
            return self._failed(uri, error)
        return await self._store(document, expected=uri)

    async def _store(
        self, document: FetchedDocument, expected: str | None = None, handle: Handle | None = None
    ) -> Actor | None:
        """Store a fetched actor; None when refused, or when a redirect led to another id."""
        try:
            data = remote_actor_from_ap(document.data)
            if expected is not None and data.uri != expected:
                log.info("refused actor %s: fetched as %s", data.uri, expected)
                return None
            if await self._blocked(data.uri):
                return None
            if handle is None:
                handle = await self._confirmed_handle(document.data, data)
            return await store_remote_actor(self.session, data, self.now, handle=handle)
        except (BadActor, Forbidden) as error:
            log.info("refused actor %s: %s", document.url_final, error.message)
            return None

    async def _confirmed_handle(self, doc: dict[str, Any], data: RemoteActorData) -> Handle | None:
        """The claimed handle once WebFinger loops back, else `username@authority of the id`;
        None when WebFinger could not answer now (the row stays unresolved)."""
        fallback = Handle(data.username, data.domain)
        claimed = claimed_handle(doc, data.uri)
        if claimed is None or await self._blocked(f"https://{claimed.host}/"):
            return fallback
        try:
            return await self._webfinger().loop_back(data.uri, claimed)
        except BudgetExhausted:
            return None
        except FetchError as error:
            if _transient(error):
                return None
            log.info("%s: WebFinger did not confirm %s (%s)", data.uri, claimed.acct, error.message)
            return fallback

    @staticmethod
    def _failed(what: str, error: FetchError) -> None:
        if _transient(error):
            raise error
        log.info("could not resolve %s: %s", what, error.message)
        return None


async def fresh_actors(session: AsyncSession, uris: set[str], now: datetime) -> set[str]:
    """Which of these remote actors we hold resolved and younger than MAX_AGE (the resolver
    will not fetch them)."""
    if not uris:
        return set()
    found = await session.scalars(
        select(Actor.uri).where(
            Actor.uri.in_(uris),
            Actor.local.is_(False),
            Actor.deleted_at.is_(None),
            Actor.fetched_at > now - MAX_AGE,
        )
    )
    return set(found.all())
