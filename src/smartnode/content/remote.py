"""Remote notes for the inbox handlers: fetching an object from its origin, deciding whether
it concerns this node, storing and updating it. Handlers check origin and authority first.

An object is stored only when it concerns this node: addressed to, or mentioning, one of our
actors; delivered to one of our actors' own inboxes; a reply to one of our posts; or by an
actor one of our actors follows. Its visibility and audience are fixed when stored: later
Updates and Creates never widen them (Mastodon CVE-2024-37903).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from smartnode.actors.follows import ACCEPTED
from smartnode.actors.resolve import FetchingResolver
from smartnode.content.announcements import ANNOUNCEMENT, REPLY
from smartnode.content.audience import visibility_of
from smartnode.content.notes_from_ap import RemoteNote
from smartnode.content.reactions import count_reply
from smartnode.content.terms import CALL
from smartnode.federation.fetch import BudgetExhausted, FetchError, HTTPStatusError, RefusedUrl
from smartnode.inbox.context import InboxContext, Incoming, deletion_marker
from smartnode.matching.notify import enqueue_call_matching
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.read_ahead import (
    local_actors,
    local_object,
    remember_stored,
    stored_read_ahead,
)

log = logging.getLogger(__name__)
_TRANSIENT = frozenset({408, 429})


def _transient(error: FetchError) -> bool:
    """Worth retrying later: network, timeouts, 5xx, 408/429."""
    if isinstance(error, HTTPStatusError):
        return error.status >= 500 or error.status in _TRANSIENT
    if isinstance(error, RefusedUrl | BudgetExhausted):
        return False
    return error.code in ("fetch_failed", "fetch_timeout")


async def fetch_object(ctx: InboxContext, uri: str) -> dict[str, Any] | None:
    """A remote object fetched by id from its origin; None when it cannot be had.

    A failure that may heal (timeout, 5xx) raises FetchError so the worker retries later.
    """
    resolver = ctx.resolver
    if not isinstance(resolver, FetchingResolver) or ctx.uris.is_local(uri):
        return None
    try:
        fetched = await resolver.fetcher.fetch_json(
            uri, signer=resolver.signer, budget=resolver.budget
        )
    except FetchError as error:
        if _transient(error):
            raise
        log.info("could not fetch %s: %s", uri, error.message)
        return None
    return fetched.data


_BY_URI = select(ContentObject).where(ContentObject.uri == bindparam("uri"))


async def stored_object(ctx: InboxContext, uri: str) -> ContentObject | None:
    """The object we store under this id, ours or remote, deleted or not."""
    read = local_object(ctx.session, uri)  # read ahead with its group of messages
    if read is not None:
        return read
    known, stored = stored_read_ahead(ctx.session, uri)
    if known:
        return stored
    return await ctx.session.scalar(_BY_URI, {"uri": uri})


async def deleted_before(ctx: InboxContext, uri: str, author_uri: str) -> bool:
    """True when the author deleted this object before we saw it (a DeletedObject marker)."""
    marker = await deletion_marker(ctx, uri)
    return marker is not None and marker.actor_uri == author_uri


_follower, _followed = aliased(Actor), aliased(Actor)
#: Built once: building it per call (a fresh alias each time) cost more than running it.
_FOLLOWED_HERE = (
    select(Follow.id)
    .join(_follower, _follower.id == Follow.follower_id)
    .join(_followed, _followed.id == Follow.followed_id)
    .where(
        Follow.state == ACCEPTED,
        _followed.uri == bindparam("actor_uri"),
        _follower.local.is_(True),
        _follower.deleted_at.is_(None),
    )
    .limit(1)
)


async def followed_here(ctx: InboxContext, actor_uri: str) -> bool:
    """True when one of our live actors follows `actor_uri` (accepted)."""
    found = await ctx.session.scalar(_FOLLOWED_HERE, {"actor_uri": actor_uri})
    return found is not None


async def _names_local_actor(ctx: InboxContext, iris: list[str]) -> bool:
    local = [iri for iri in iris if ctx.uris.parse_actor(iri) is not None]
    if not local:
        return False
    return bool(await local_actors(ctx.session, local))


def _inbox_owner(inbox: str) -> str | None:
    """The actor whose own inbox an inbox URI is (None for the shared inbox)."""
    return inbox.removesuffix("/inbox") if inbox.endswith("/inbox") else None


async def concerns_node(ctx: InboxContext, incoming: Incoming, note: RemoteNote) -> bool:
    """Whether this node has a reason to keep the note (see the module docstring)."""
    mentions = [t["href"] for t in note.tags if t.get("type") == "Mention"]
    owner = _inbox_owner(incoming.inbox)
    if await _names_local_actor(ctx, [*note.to, *note.cc, *mentions, *([owner] if owner else [])]):
        return True
    if note.in_reply_to_uri and _ours(ctx, note.in_reply_to_uri):
        parent = await stored_object(ctx, note.in_reply_to_uri)
        if parent is not None and parent.local and parent.deleted_at is None:
            return True
    return await followed_here(ctx, note.attributed_to)


def _ours(ctx: InboxContext, uri: str) -> bool:
    uris = ctx.uris
    return any(token(uri) for token in (uris.note_token, uris.event_token, uris.call_token))


async def store_note(ctx: InboxContext, note: RemoteNote, author: Actor) -> ContentObject:
    """A new remote object row; its visibility is read once, from its addressing."""
    visibility = visibility_of(note.to, note.cc, author.followers_uri)
    obj = ContentObject(
        uri=note.uri, local=False, actor_id=author.id, project_id=None, ap_type=note.ap_type,
        kind=_kind(note), visibility=visibility.value,
        audience={"to": note.to, "cc": note.cc}, in_reply_to_uri=note.in_reply_to_uri,
        published_at=note.published_at, updated_at=note.updated_at or note.published_at,
        extra={},
    )  # fmt: skip
    apply_note(obj, note)
    ctx.session.add(obj)
    remember_stored(ctx.session, obj)
    await ctx.session.flush()
    await count_reply(ctx.session, note.in_reply_to_uri, 1)
    if obj.kind == CALL:
        enqueue_call_matching(ctx.session, obj, ctx.now)
    return obj


def _kind(note: RemoteNote) -> str:
    if note.terms.kind != ANNOUNCEMENT:
        return note.terms.kind
    return REPLY if note.in_reply_to_uri else ANNOUNCEMENT


def apply_note(obj: ContentObject, note: RemoteNote) -> None:
    """Copy what an author may change into a row: never its audience, thread or author."""
    obj.name = note.name
    obj.content = note.content
    obj.content_map = note.content_map
    obj.summary = note.summary
    obj.language = note.language
    obj.url = note.url
    obj.sensitive = note.sensitive
    obj.attachments = note.attachments
    obj.tags = note.tags
    obj.extra = dict(note.terms.extra)
    obj.state = note.terms.state
    obj.starts_at, obj.ends_at = note.terms.starts_at, note.terms.ends_at
    obj.closes_at = note.terms.closes_at


def purge(obj: ContentObject) -> None:
    """Forget a deleted object's content; the row stays as a marker of its id and owner."""
    obj.content, obj.content_map, obj.summary, obj.name = "", {}, None, None
    obj.attachments, obj.tags, obj.extra = [], [], {}
