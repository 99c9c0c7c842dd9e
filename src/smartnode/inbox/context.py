"""What every inbox handler gets (context, parsed activity) and returns (an outcome).

Handlers run in the worker on activities the edge already verified and bound to their actor;
each handler still enforces origin and authority itself (PROTOCOL.md "Origin and authority").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartnode.actors.follows import ACCEPTED, PENDING
from smartnode.actors.resolve import ActorResolver
from smartnode.config import Settings
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import first_id
from smartnode.storage.models import Actor, DeletedObject, Follow, table
from smartnode.storage.read_ahead import local_actor
from smartnode.storage.upsert import insert_ignoring_conflicts

__all__ = ["ACCEPTED", "PENDING", "Handler", "InboxContext", "Incoming", "Outcome"]


@dataclass(frozen=True, slots=True)
class InboxContext:
    """The caller's transaction and what handlers need besides the activity."""

    session: AsyncSession
    settings: Settings
    uris: NodeUris
    now: datetime
    resolver: ActorResolver
    blocked: frozenset[str] | None = None  # the domain blocks when the caller holds them
    #: Ids the inbox lane found without a deletion marker when it claimed the batch (shared by
    #: the batch's messages; an id marked since is taken out), so checking them costs no query.
    unmarked: set[str] | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """A verified activity: its id, type and (bound) actor, and the body as received."""

    id: str
    type: str
    actor_uri: str
    body: dict[str, Any]
    inbox: str

    @property
    def object(self) -> Any:
        return self.body.get("object")

    @property
    def object_id(self) -> str | None:
        return first_id(self.body.get("object"))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the worker records for a message: processed, or ignored with a reason."""

    status: Literal["processed", "ignored"]
    reason: str = ""


Handler = Callable[[InboxContext, Incoming], Awaitable[Outcome]]


def processed(reason: str = "") -> Outcome:
    return Outcome("processed", reason)


def ignored(reason: str) -> Outcome:
    return Outcome("ignored", reason)


def origin_of(uri: str) -> str:
    """Host and port of a URI, lower-cased ('' when it has none)."""
    try:
        return urlsplit(uri).netloc.lower()
    except ValueError:
        return ""


def same_origin(first: str, second: str) -> bool:
    """True when both URIs are on the same host (and port)."""
    host = origin_of(first)
    return bool(host) and host == origin_of(second)


async def local_target(ctx: InboxContext, uri: str | None) -> Actor | None:
    """The live local actor a URI names, or None (not ours, unknown or deleted)."""
    if not uri or ctx.uris.parse_actor(uri) is None:
        return None
    return await local_actor(ctx.session, uri)


async def sent_follow(ctx: InboxContext, follow_uri: str, followed_uri: str) -> Follow | None:
    """Our Follow with that id, made by a local actor to the remote actor `followed_uri`."""
    follower, followed = aliased(Actor), aliased(Actor)
    return await ctx.session.scalar(
        select(Follow)
        .join(follower, Follow.follower_id == follower.id)
        .join(followed, Follow.followed_id == followed.id)
        .where(
            Follow.uri == follow_uri,
            follower.local.is_(True),
            followed.local.is_(False),
            followed.uri == followed_uri,
        )
    )


async def mark_deleted(ctx: InboxContext, uri: str, actor_uri: str) -> None:
    """Remember that `actor_uri` deleted `uri`, so a late Create of it is ignored."""
    if ctx.unmarked is not None:
        ctx.unmarked.discard(uri)
    row = {"uri": uri, "actor_uri": actor_uri, "deleted_at": ctx.now}
    await insert_ignoring_conflicts(ctx.session, table(DeletedObject), [row])


async def deletion_marker(ctx: InboxContext, uri: str) -> DeletedObject | None:
    """The marker saying who deleted `uri` before we saw it, or None."""
    if ctx.unmarked is not None and uri in ctx.unmarked:
        return None
    return await ctx.session.get(DeletedObject, uri)
