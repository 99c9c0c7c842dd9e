"""The inbox edge: size → signature → parse → block check → (key fetch) → signer is actor →
store → 202.

A request whose key we hold is verified before its body is parsed, as Mastodon does: a forgery
costs one signature check, no JSON parsing, and does not count against the rate limit of the
host it claims. The body is parsed, checked against domain blocks and the per-host rate limit
before any key is fetched (a new actor, or a refetch that may find a rotated key).

Status codes steer senders (PROTOCOL.md "Inbox"): 202 stored (duplicates and unknown types too);
400 malformed; 401 bad or absent signature or a signer that is not the actor; 403 blocked;
404/410 unknown/deleted recipient; 413 too large; 415 compressed; 429 rate limited;
503 not durably stored. Nothing else happens here: handlers run in the worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from starlette.requests import Request

from smartnode.actors.blocks import BlockList, host_of
from smartnode.errors import BadRequest, Forbidden, PayloadTooLarge, SmartnodeError, Unauthorized
from smartnode.federation.jsonld import parse_document
from smartnode.federation.signatures import (
    ParsedSignature,
    SignatureError,
    SignedRequest,
    parse_signature,
    verify_signature,
)
from smartnode.federation.vocab import first_id, id_of
from smartnode.inbox.keys import ActorKey, KeyStore, KeyUnavailable
from smartnode.inbox.ratelimit import HostLimiter
from smartnode.inbox.writer import InboxWriter
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.storage.outage import RETRY_AFTER_SECONDS, database_unavailable

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
#: What became of a POST answered 202 (others are "refused", with their error code).
STORED, DUPLICATE, DROPPED = "stored", "duplicate", "dropped"
RECENT_SIZE = 50_000


class TooManyRequests(SmartnodeError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnsupportedEncoding(SmartnodeError):
    status_code = 415
    code = "unsupported_encoding"


@dataclass(frozen=True, slots=True)
class Received:
    """What the edge answers: a status and, for logs and the body, why."""

    status: int
    message: str
    retry_after: float | None = None
    code: str | None = None  # the error's code (errors.py), as the API's error bodies carry it
    outcome: str = "refused"  # stored | duplicate | dropped (202, nothing to store) | refused


class InboxReceiver:
    """Authenticates and stores inbox POSTs; one per process."""

    def __init__(
        self,
        *,
        base_url: str,
        db: Database,
        keys: KeyStore,
        writer: InboxWriter,
        blocks: BlockList,
        limiter: HostLimiter,
        clock: Callable[[], datetime],
    ) -> None:
        self.base_url = base_url
        self.db = db
        self.keys = keys
        self.writer = writer
        self.blocks = blocks
        self.limiter = limiter
        self.clock = clock
        self._recent = _Recent(RECENT_SIZE)

    async def receive(self, request: Request, inbox_uri: str) -> Received:
        """Handle one POST to `inbox_uri`; never raises."""
        try:
            return await self._receive(request, inbox_uri)
        except TooManyRequests as error:
            return Received(429, error.message, error.retry_after, error.code)
        except _Dropped as dropped:
            return Received(202, dropped.message, outcome=DROPPED)
        except SmartnodeError as error:
            if error.status_code >= 500:
                log.error("inbox %s: %s", inbox_uri, error.message)
            else:  # counted by reason in the metrics, a line in the request log; its reason at
                # DEBUG, so that a flood of refused POSTs is not a flood of log lines too
                log.debug("inbox %s refused (%d): %s", inbox_uri, error.status_code, error.message)
            return Received(error.status_code, error.message, code=error.code)
        except Exception as error:
            if not database_unavailable(error):
                raise
            log.warning("inbox %s: the database is unavailable: %s", inbox_uri, error)
            return Received(503, "the activity could not be stored; retry later",
                            RETRY_AFTER_SECONDS, "unavailable")  # fmt: skip

    async def _receive(self, request: Request, inbox_uri: str) -> Received:
        body = await _read_body(request)
        signed = SignedRequest.from_pairs(
            request.method, self.url_of(request), request.headers.items(), body
        )
        parsed = parse_signature(signed)
        now = self.clock()
        key = await self.keys.cached(parsed.key_id)
        failure = None if key is None else self._verify_cached(key, parsed, signed, now)
        digest = hashlib.sha256(body).digest()
        if key and not failure and self._recent.has_body(digest, inbox_uri, key.owner_uri):
            return Received(202, "already received", outcome=DUPLICATE)  # same bytes, signer
        activity, activity_id, activity_type, actor_uri = await self._admitted(body)
        if key is None:
            if await self._unknown_actor_deleted(activity_type, activity, actor_uri):
                return Received(202, "delete of an unknown actor: nothing to do", outcome=DROPPED)
            key = await self._fetched_key(parsed.key_id, activity_type, activity, actor_uri, now)
            verify_signature(parsed, signed, key.key, now)
            await self.keys.remember(key, now)
        elif failure is not None:
            key = await self._rotated(key, parsed, signed, now, failure)
        if key.owner_uri != actor_uri:
            raise Unauthorized(f"the request is signed by {key.owner_uri}, not by {actor_uri}")
        row = {"activity_uri": activity_id, "inbox": inbox_uri, "actor_uri": actor_uri,
               "activity_type": activity_type[:64], "body_json": body.decode(),
               "received_at": now, "state": "pending", "run_at": now, "attempts": 0}  # fmt: skip
        return await self._store(row, digest)

    async def _admitted(self, body: bytes) -> tuple[dict[str, Any], str, str, str]:
        """The parsed activity, its id, type and actor, once the body passed every check."""
        activity = parse_document(body)
        if _holds_nul(body):
            raise BadRequest("the activity contains U+0000, which cannot be stored")
        activity_id, activity_type, actor_uri = _shape(activity)
        blocked = await self.blocks.blocks_any(_iris(activity, actor_uri))
        if blocked:
            raise Forbidden(f"{blocked} is blocked on this node")
        wait = await self.limiter.wait_for(host_of(actor_uri))
        if wait:
            raise TooManyRequests(f"too many requests from {host_of(actor_uri)}", wait)
        return activity, activity_id, activity_type, actor_uri

    def url_of(self, request: Request) -> str:
        """The URL as the sender signed it: our public base, the raw path and the raw query."""
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string") or b""
        url = self.base_url + raw_path.decode("latin-1")
        return f"{url}?{query.decode('latin-1')}" if query else url

    async def _fetched_key(
        self,
        key_id: str,
        activity_type: str,
        activity: dict[str, Any],
        actor_uri: str,
        now: datetime,
    ) -> ActorKey:
        try:
            return await self.keys.fetch(key_id, now)
        except KeyUnavailable as error:
            if (
                error.gone
                and activity_type == "Delete"
                and first_id(activity.get("object")) == actor_uri
            ):
                raise _Dropped() from None
            raise

    def _verify_cached(
        self, key: ActorKey, parsed: ParsedSignature, signed: SignedRequest, now: datetime
    ) -> SignatureError | None:
        """None when the held key verifies. A bad signature that a refetch may explain (a
        rotated key, refetches left for the host) is returned, to be refetched once the body
        passed its checks; any other failure is raised before the body is read."""
        try:
            verify_signature(parsed, signed, key.key, now)
        except SignatureError as error:
            if error.code != "bad_signature" or not self.keys.may_refetch(key.key_id, spend=False):
                raise
            return error
        return None

    async def _rotated(
        self,
        key: ActorKey,
        parsed: ParsedSignature,
        signed: SignedRequest,
        now: datetime,
        failure: SignatureError,
    ) -> ActorKey:
        """Refetch a key that failed (once, within the host's refetch budget) and verify again;
        a key another request of the burst refreshed or fetched meanwhile is tried first, so a
        burst fetches it once whatever the timing."""
        for other in (await self.keys.cached(key.key_id), self.keys.recently_fetched(key.key_id)):
            if other is not None and other.key is not key.key:
                with contextlib.suppress(SignatureError):
                    verify_signature(parsed, signed, other.key, now)
                    await self.keys.remember(other, now)  # stored once per fetch, if fetched
                    return other
        if not self.keys.may_refetch(key.key_id):
            raise failure
        fresh = await self.keys.fetch(key.key_id, now, reuse=False)
        verify_signature(parsed, signed, fresh.key, now)
        await self.keys.remember(fresh, now)
        return fresh

    async def _unknown_actor_deleted(
        self, activity_type: str, activity: dict[str, Any], actor_uri: str
    ) -> bool:
        """Interop: Mastodon answers 202 to a Delete of an actor it never knew, fetching nothing."""
        if activity_type != "Delete" or first_id(activity.get("object")) != actor_uri:
            return False
        async with self.db.session() as session:
            known = await session.scalar(select(Actor.id).where(Actor.uri == actor_uri))
        return known is None

    async def _store(self, row: dict[str, Any], digest: bytes) -> Received:
        """Store an accepted activity (once per inbox) before answering 202."""
        activity_id, inbox_uri = row["activity_uri"], row["inbox"]
        message, outcome = "already received", DUPLICATE
        if not self._recent.has_id(activity_id, inbox_uri):
            await self.writer.store(row)
            message, outcome = "accepted", STORED
        self._recent.add(activity_id, digest, inbox_uri, row["actor_uri"])
        return Received(202, message, outcome=outcome)


class _Recent:
    """Activities this process stored lately, by id and by body digest, per inbox."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._bodies: OrderedDict[tuple[bytes, str], str] = OrderedDict()

    def has_id(self, activity_id: str, inbox_uri: str) -> bool:
        return (activity_id, inbox_uri) in self._ids

    def has_body(self, digest: bytes, inbox_uri: str, signer_uri: str) -> bool:
        """The same bytes, stored for this inbox, from the actor who signs them now."""
        return self._bodies.get((digest, inbox_uri)) == signer_uri

    def add(self, activity_id: str, digest: bytes, inbox_uri: str, actor_uri: str) -> None:
        self._ids[activity_id, inbox_uri] = None
        self._bodies[digest, inbox_uri] = actor_uri
        for marks in (self._ids, self._bodies):
            if len(marks) > self.size:
                marks.popitem(last=False)


class _Dropped(SmartnodeError):
    """A Delete of an actor that no longer exists: answered 202, nothing stored."""

    status_code = 202
    code = "dropped"

    def __init__(self) -> None:
        super().__init__("delete of a gone actor: nothing to do")


async def _read_body(request: Request) -> bytes:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise UnsupportedEncoding("compressed request bodies are not accepted")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _http_iri(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise BadRequest(f"the activity has no {what}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"the activity's {what} is not an http(s) IRI")
    return value


def _shape(activity: dict[str, Any]) -> tuple[str, str, str]:
    """id, type and actor of an activity, or BadRequest."""
    activity_id = _http_iri(activity.get("id"), "id")
    activity_type = activity.get("type")
    if not isinstance(activity_type, str) or not activity_type:
        raise BadRequest("the activity has no type")
    actor_uri = _http_iri(id_of(activity.get("actor")), "actor")
    return activity_id, activity_type, actor_uri


def _iris(activity: dict[str, Any], actor_uri: str) -> Iterator[str]:
    """The IRIs whose hosts are checked against domain blocks (read only when there are any)."""
    yield actor_uri
    yield str(activity.get("id"))
    obj = activity.get("object")
    for value in (obj, activity.get("target")):
        iri = first_id(value)
        if iri:
            yield iri
    if isinstance(obj, dict):
        for key in ("attributedTo", "inReplyTo", "actor"):
            iri = first_id(obj.get(key))
            if iri:
                yield iri


def _holds_nul(body: bytes) -> bool:
    """True when a JSON string of `body` holds U+0000 (PostgreSQL cannot store it)."""
    at = body.find(b"\\u0000")
    while at >= 0:
        start = at
        while start > 0 and body[start - 1] == 0x5C:  # backslashes before this one
            start -= 1
        if (at - start) % 2 == 0:  # this backslash starts an escape
            return True
        at = body.find(b"\\u0000", at + 1)
    return False
