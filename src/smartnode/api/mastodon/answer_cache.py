"""The answers Mastodon apps ask for again and again — the member's own account
(verify_credentials) and the home timeline — kept per token for a few seconds, as bytes.

An app asks for both at start, on every refresh and whenever it comes back to the foreground;
nothing has changed in between most of the time. A kept answer is sent again without routing,
token check, database or rendering. It is forgotten:

- whenever anything is written in this process (any ORM session committing a change: a post, a
  follow, the worker handling an activity, a token revoked), and after every write request;
- on PostgreSQL, whenever another process writes through the API (ops/cache_bus.py) or publishes
  a streaming event (a status stored, changed or deleted, a notification: the worker's work);
- at the latest after SMARTNODE_DOCUMENT_CACHE_SECONDS (5 s; 0 keeps nothing), which bounds what
  the CLI or a worker process on SQLite changes without this process hearing of it.

An answer rendered while such a change happened is not kept. Only a 200 answered to a token
that acts for a member is kept, under a key made of the token's hash and the full path, so no
one is ever sent another token's answer.
"""

from __future__ import annotations

import hashlib
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartnode.api.cache import CachedResponse, DocumentCache

STATE_KEY = "answers"
#: The request state's key naming the member a token acts for (set by auth.caller).
MEMBER_STATE = "answer_member"
PATHS = frozenset({"/api/v1/accounts/verify_credentials", "/api/v1/timelines/home"})
MAX_ENTRIES = 10_000
_WROTE = "smartnode.answer_cache.wrote"
_LIVE: weakref.WeakSet[AnswerCache] = weakref.WeakSet()
_COMMITTED = [0]  # transactions of this process that wrote something (see writes_committed)


class AnswerCache(DocumentCache):
    """A DocumentCache whose `generation` moves at every forgetting, so an answer rendered
    across a change is not kept."""

    def __init__(self, ttl_seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(ttl_seconds, max_entries)
        self.generation = 0
        _LIVE.add(self)

    def forget(self) -> None:
        self.generation += 1
        super().forget()

    def clear(self) -> None:
        self.generation += 1
        super().clear()

    def keep(self, key: str, entry: CachedResponse, generation: int) -> None:
        """Keep `entry` unless something was forgotten since `generation` was read."""
        if generation == self.generation:
            self.put(key, entry)


def answer_cache(app: Any, ttl_seconds: float) -> AnswerCache:
    """The app's answer cache (made on first use)."""
    found = getattr(app.state, STATE_KEY, None)
    if not isinstance(found, AnswerCache):
        found = AnswerCache(ttl_seconds)
        setattr(app.state, STATE_KEY, found)
    return found


def forget_everywhere() -> None:
    """Forget the answers of every app of this process (something was written)."""
    for cache in list(_LIVE):
        cache.forget()


def _key(scope: Scope) -> str | None:
    """The token's hash and the full path; None without a bearer token."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.strip().partition(b" ")
            if scheme.lower() != b"bearer" or not token.strip():
                return None
            digest = hashlib.sha256(token.strip()).hexdigest()
            query = scope.get("query_string", b"").decode("latin-1")
            return f"{digest}:{scope['path']}?{query}"
    return None


class CachedAnswers:
    """ASGI middleware: kept answers for PATHS, and keeping the new ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in PATHS:
            await self.app(scope, receive, send)
            return
        key = _key(scope)
        application = scope["app"]
        cache = answer_cache(application, application.state.settings.document_cache_seconds)
        if key is None or cache.ttl_seconds <= 0:
            await self.app(scope, receive, send)
            return
        if (hit := cache.get(key)) is not None:
            await hit.to_response()(scope, receive, send)
            return
        generation = cache.generation
        started: dict[str, Any] = {}
        body: list[bytes] = []

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, noting)
        if started.get("status") != 200 or scope.get("state", {}).get(MEMBER_STATE) is None:
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in started["headers"]}
        if "set-cookie" in headers:
            return
        headers.pop("content-length", None)
        media = headers.pop("content-type", "application/json")
        cache.keep(key, CachedResponse(b"".join(body), media, 200, headers), generation)


def _flushed(session: Session, _context: object) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[_WROTE] = True


def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        _COMMITTED[0] += 1
        forget_everywhere()


def writes_committed() -> int:
    """How many transactions of this process committed a change so far (the CLI tells the API
    processes when its command wrote anything: cli_support.database_session)."""
    return _COMMITTED[0]


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_WROTE, None)


def install_listeners() -> None:
    """Forget every kept answer when any session of this process commits a change."""
    for name, listener in (
        ("after_flush", _flushed),
        ("do_orm_execute", _executed),
        ("after_commit", _committed),
        ("after_soft_rollback", _rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
