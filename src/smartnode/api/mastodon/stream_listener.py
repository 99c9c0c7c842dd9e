"""What one streaming client (a WebSocket or an EventSource) listens to, and what an event
sends it: shared by streaming.py (WebSocket) and streaming_sse.py (Server-Sent Events).

Streams: `user` (the home timeline and the member's notifications), `user:notification`,
`public`, `public:local`, `public:remote`, `hashtag`, `hashtag:local` (with a tag), `list`
(with a list id, the member's own or a team list: content/list_timeline.py's rule) and
`direct` (the member's conversations: a `conversation` event, content/conversations.py). Every
stream needs a token; the scopes are Mastodon's: read or read:statuses, read:notifications.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from smartnode.accounts.bearer import principal_for_token
from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_NOTIFICATIONS, READ_STATUSES
from smartnode.api.mastodon.auth import NEEDS_USER, OUTSIDE_SCOPES
from smartnode.api.mastodon.conversations import conversation_entities
from smartnode.api.mastodon.entities import Renderer
from smartnode.api.mastodon.notifications import notification_entity
from smartnode.content import lists
from smartnode.content import stream_audience as audience
from smartnode.content.conversations import DIRECT, conversation_of
from smartnode.content.list_timeline import in_list
from smartnode.content.stream_broker import DELETE, NOTIFICATION, STATUS, Event, Fanout, broker_for
from smartnode.content.threads import Item
from smartnode.errors import Forbidden, NotFound, Unauthorized
from smartnode.federation.uris import NodeUris
from smartnode.storage.db import Database
from smartnode.storage.models import Actor

#: Each stream and the scope it needs.
STREAMS = {"user": READ_STATUSES, "user:notification": READ_NOTIFICATIONS,
           "public": READ_STATUSES, "public:local": READ_STATUSES,
           "public:remote": READ_STATUSES, "hashtag": READ_STATUSES,
           "hashtag:local": READ_STATUSES, "list": READ_STATUSES,
           "direct": READ_STATUSES}  # fmt: skip
#: Streams of a member (a token acting for nobody cannot have them).
MEMBER_STREAMS = ("user", "user:notification", "list", "direct")
MAX_SUBSCRIPTIONS = 50
MAX_TAG = 100
NO_LIST = "Not authorized to stream this list"
CONVERSATION = "conversation"


async def principal_of(db: Database, token: str) -> Principal | None:
    """The holder of a token still valid, else None."""
    async with db.session() as session, session.begin():
        try:
            return await principal_for_token(session, token, None, datetime.now(UTC))
        except (Unauthorized, Forbidden):
            return None


async def member_of(db: Database, principal: Principal) -> Actor | None:
    if principal.actor_id is None:
        return None
    async with db.session() as session:
        actor = await session.get(Actor, principal.actor_id)
    return actor if actor is not None and actor.deleted_at is None else None


def broker_of(state: State) -> Fanout:
    """The process's broker (made with the first client)."""
    if getattr(state, "stream_broker", None) is None:
        state.stream_broker = broker_for(state.settings.database_url)
    broker: Fanout = state.stream_broker
    return broker


def _param(name: str, tag: Any, list_id: Any) -> tuple[str | None, str]:
    """(problem, the stream's parameter): a hashtag's tag, a list's id."""
    if name.startswith("hashtag"):
        if not isinstance(tag, str) or not tag.strip():
            return "No tag for stream provided", ""
        return None, tag.strip()[:MAX_TAG]
    if name == "list":
        if not isinstance(list_id, str | int) or not str(list_id).strip():
            return NO_LIST, ""
        return None, str(list_id).strip()[:40]
    return None, ""


@dataclass
class Listener:
    """One client: who reads, and the streams it subscribed to (name, parameter)."""

    db: Database
    principal: Principal
    member: Actor | None
    streams: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    async def subscribe(self, name: Any, tag: Any = None, list_id: Any = None,
                        *, on: bool = True) -> str | None:  # fmt: skip
        """Add (or drop) a stream; the error Mastodon sends back, if any."""
        if not isinstance(name, str) or name not in STREAMS:
            return "Unknown stream type"
        problem, param = _param(name, tag, list_id)
        if problem is not None:
            return problem
        key = (name, param.lower() if name.startswith("hashtag") else param)
        if not on:
            self.streams.pop(key, None)
            return None
        if not self.principal.allows(STREAMS[name]):
            return OUTSIDE_SCOPES
        if name in MEMBER_STREAMS and self.member is None:
            return NEEDS_USER
        if name == "list" and await self._list(param) is None:
            return NO_LIST
        if len(self.streams) >= MAX_SUBSCRIPTIONS:
            return "Too many subscriptions"
        self.streams[key] = [name, param] if param else [name]
        return None

    async def _list(self, list_id: str) -> lists.ListView | None:
        assert self.member is not None
        async with self.db.session() as session:
            try:
                return await lists.get_list(session, self.member, list_id)
            except NotFound:
                return None

    async def heard(self, session: AsyncSession, row: Item) -> list[list[str]]:
        """The subscribed timelines (not `direct`) that list the status."""
        found = []
        for (name, param), stream in self.streams.items():
            if await self._hears(session, name, param, row):
                found.append(stream)
        return found

    async def _hears(self, session: AsyncSession, name: str, param: str, row: Item) -> bool:
        obj = row[0]
        if name == "user":
            return self.member is not None and await audience.in_home(session, self.member, obj)
        if name.startswith("public"):
            return audience.on_public(obj, local=name == "public:local",
                                      remote=name == "public:remote")  # fmt: skip
        if name.startswith("hashtag"):
            return audience.on_hashtag(obj, param, local=name == "hashtag:local")
        if name == "list" and self.member is not None:
            try:
                found = await lists.get_list(session, self.member, param)
            except NotFound:  # deleted since, or no longer on the team
                return False
            return await in_list(session, self.member, found, row)
        return False


async def _notification(
    session: AsyncSession, uris: NodeUris, listener: Listener, event: Event
) -> list[dict[str, Any]]:
    member = listener.member
    wanted = [s for (n, _), s in listener.streams.items() if n.startswith("user")]
    if member is None or event.ref != member.id or not wanted:
        return []
    if not listener.principal.allows(READ_NOTIFICATIONS):
        return []
    note = await audience.notification_row(session, member.id, event.note_kind, event.uri)
    if note is None:
        return []
    entity = await notification_entity(session, uris, member, note)
    if entity is None:  # a kind apps are not shown (team notices)
        return []
    payload = json.dumps(entity)
    return [{"stream": s, "event": NOTIFICATION, "payload": payload} for s in wanted]


async def _conversation(
    session: AsyncSession, uris: NodeUris, listener: Listener, row: Item
) -> list[dict[str, Any]]:
    """A new direct status, to the member's `direct` stream, as its conversation."""
    member = listener.member
    if member is None or ("direct", "") not in listener.streams or row[0].visibility != DIRECT:
        return []
    found = await conversation_of(session, member, row[0].id)
    if found is None:
        return []
    [entity] = await conversation_entities(session, uris, member, [found])
    return [{"stream": ["direct"], "event": CONVERSATION, "payload": json.dumps(entity)}]


async def messages(
    db: Database, uris: NodeUris, listener: Listener, event: Event
) -> list[dict[str, Any]]:
    """What one event sends this client: {"stream", "event", "payload"} each."""
    if not listener.streams:
        return []
    async with db.session() as session:
        if event.kind == NOTIFICATION:
            return await _notification(session, uris, listener, event)
        row = await audience.status_row(session, event.ref, deleted=event.kind == DELETE)
        if row is None:
            return []
        member = listener.member
        if member is not None and await audience.hidden_from(session, member, row[0]):
            return []
        direct = await _conversation(session, uris, listener, row) if event.kind == STATUS else []
        streams = await listener.heard(session, row)
        if not streams:
            return direct
        if event.kind == DELETE:
            payload = str(event.ref)  # as Mastodon: the id, not a JSON document
        else:
            payload = json.dumps(await Renderer(session, uris).status(*row, listener.member))
        return [*direct, *({"stream": s, "event": event.kind, "payload": payload}
                           for s in streams)]  # fmt: skip
