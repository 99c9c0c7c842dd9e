"""Triage: settle, a batch at a time, the inbox messages that concern no one on this node.

Most of what a node receives is public traffic of people nobody here follows. Triage reads the
batch's facts in three queries (which of its actors our actors follow, which of the objects it
names we store, the domain blocks) and settles the messages whose handler would certainly
change nothing, or only record a Delete marker, without running that handler. It is
conservative: a message that names this node anywhere (its host or handle domain), was posted
to one of our actors' own inboxes, involves a blocked domain, or is of any other type goes to
its handler as before. Reasons are the handlers' own words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartnode.actors.blocks import host_of, is_blocked
from smartnode.actors.remote import ACTOR_TYPES
from smartnode.content.notes_from_ap import note_type
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import id_of
from smartnode.inbox.context import same_origin
from smartnode.inbox.dispatch import linked_iris
from smartnode.storage import queue
from smartnode.storage.in_lists import few_lengths
from smartnode.storage.models import (
    Actor,
    ContentObject,
    DeletedObject,
    Follow,
    InboxMessage,
    table,
)
from smartnode.storage.upsert import insert_ignoring_conflicts

#: Types triage may settle; every other type always runs its handler.
TRIAGED = frozenset({"Create", "Announce", "Like", "Delete", "Update"})
#: Types whose handlers change nothing triage reads about the same actor's OTHER ids (who our
#: actors follow is changed by an Accept, a Reject, an Undo or a Move, which are not here).
NEUTRAL_AHEAD = frozenset({"Create", "Announce", "Like", "Delete", "Update", "Follow"})

_follower, _followed = aliased(Actor), aliased(Actor)
_FOLLOWED = (
    select(_followed.uri)
    .join(Follow, Follow.followed_id == _followed.id)
    .join(_follower, _follower.id == Follow.follower_id)
    .where(Follow.state == "accepted", _follower.local.is_(True), _follower.deleted_at.is_(None))
    .distinct()
)


@dataclass(frozen=True, slots=True)
class Settled:
    """A message settled without its handler: why, and the Delete marker to record if any."""

    message_id: int
    reason: str
    ignored: bool = True
    marker: tuple[str, str] | None = None  # (deleted object id, its actor)


@dataclass(slots=True)
class Facts:
    """What triage knows of one batch."""

    followed: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)
    blocked: frozenset[str] = frozenset()


def _object_ids(body: dict[str, Any]) -> list[str]:
    """The ids an activity's object names (the object, or its id when embedded)."""
    found = id_of(body.get("object"))
    return [found] if found else []


async def gather_facts(
    session: AsyncSession, bodies: Iterable[dict[str, Any]], blocked: frozenset[str]
) -> Facts:
    """The follows and stored objects the batch's activities name, read in two queries."""
    actors, objects = set(), set()
    for body in bodies:
        actor = id_of(body.get("actor"))
        if actor:
            actors.add(actor)
        objects.update(_object_ids(body))
    facts = Facts(blocked=blocked)
    if actors:
        found = await session.scalars(_FOLLOWED.where(_followed.uri.in_(few_lengths(actors))))
        facts.followed = set(found.all())
    if objects:
        found = await session.scalars(
            select(ContentObject.uri).where(ContentObject.uri.in_(few_lengths(objects)))
        )
        facts.stored = set(found.all())
    return facts


def _names_this_node(body: dict[str, Any], uris: NodeUris) -> bool:
    """True when this node's host or handle domain appears anywhere in the activity."""
    raw = orjson.dumps(body)
    return uris.host.encode() in raw or uris.domain.encode() in raw


def _blocked(body: dict[str, Any], domains: frozenset[str]) -> bool:
    return bool(domains) and any(is_blocked(host_of(i), domains) for i in linked_iris(body))


def _create(body: dict[str, Any], facts: Facts, actor: str) -> str | None:
    obj = body.get("object")
    if not isinstance(obj, dict):
        return None  # given by id: its handler fetches it to see whom it concerns
    if note_type(obj) is None:
        return f"Create of {obj.get('type')!s} is not handled yet"
    if not same_origin(str(body.get("id")), actor):
        return "the Create id is not on its actor's origin"
    if not same_origin(str(id_of(obj)), actor):
        return "the created object is not on its actor's origin"
    if actor in facts.followed or id_of(obj) in facts.stored:
        return None
    return "the object concerns no one on this node"


def _announce(body: dict[str, Any], facts: Facts, actor: str) -> str | None:
    obj = body.get("object")
    if isinstance(obj, dict) and note_type(obj) is None:
        return None  # an activity relayed by a Group, or a type its handler names
    if not same_origin(str(body.get("id")), actor):
        return "the Announce id is not on its actor's origin"
    if actor in facts.followed or id_of(obj) in facts.stored:
        return None
    return "the Announce concerns no one on this node"


def _delete(body: dict[str, Any], facts: Facts, actor: str, message_id: int) -> Settled | None:
    object_id = id_of(body.get("object"))
    if object_id is None or object_id == actor or object_id in facts.stored:
        return None  # an actor's own Delete, or of an object we hold: its handler decides
    if not same_origin(str(body.get("id")), actor):
        return Settled(message_id, "the Delete id is not on its actor's origin")
    if not same_origin(object_id, actor):
        return Settled(message_id, "the deleted object is not on its actor's origin")
    marker = (object_id, actor)
    return Settled(message_id, "object deleted: marker recorded", ignored=False, marker=marker)


def _reason(kind: str, body: dict[str, Any], facts: Facts, actor: str) -> str | None:
    object_id = id_of(body.get("object"))
    if kind == "Create":
        return _create(body, facts, actor)
    if kind == "Announce":
        return _announce(body, facts, actor)
    if kind == "Like":
        if object_id is None:
            return None
        if not same_origin(str(body.get("id")), actor):
            return "the Like id is not on its actor's origin"
        return "the Like names none of our live posts"  # ours would name this node
    if kind == "Update":
        obj = body.get("object")
        if object_id in (None, actor) or object_id in facts.stored:
            return None  # a profile refresh, or an edit of what we hold: its handler decides
        if isinstance(obj, dict) and obj.get("type") in ACTOR_TYPES:
            return None
        return "Update of an object we do not store"
    return None


def settle(message_id: int, inbox: str, body: Any, uris: NodeUris, facts: Facts) -> Settled | None:
    """How triage settles one message, or None when its handler must run."""
    if not isinstance(body, dict) or inbox != uris.shared_inbox:
        return None
    kind, actor = body.get("type"), id_of(body.get("actor"))
    if kind not in TRIAGED or not actor or not isinstance(body.get("id"), str):
        return None
    if _names_this_node(body, uris) or _blocked(body, facts.blocked):
        return None
    if kind == "Delete":
        return _delete(body, facts, actor, message_id)
    reason = _reason(str(kind), body, facts, actor)
    return None if reason is None else Settled(message_id, reason)


def _named(body: Any, actor: str) -> set[str]:
    """The ids a message names besides its actor (its own, its object's, what that links)."""
    return set(linked_iris(body)) - {actor} if isinstance(body, dict) else set()


async def triage(
    session: AsyncSession, uris: NodeUris, rows: Sequence[Row[Any]], blocked: frozenset[str]
) -> tuple[list[Settled], list[Row[Any]]]:
    """The batch split into settled messages and those whose handler must run (in order).

    A message behind one of its actor's messages bound for a handler is settled only when the
    earlier ones cannot change what triage knows of it: they are of `NEUTRAL_AHEAD` types and
    name none of its ids (an Update settled ahead of the Create it edits would be lost; an
    Accept ahead of a Create may make its author followed). Otherwise it waits its turn."""
    facts = await gather_facts(session, (r.body for r in rows if isinstance(r.body, dict)), blocked)
    settled, remaining = [], []
    # Actors with earlier messages for their handlers: the ids those name, or None when all
    # the actor's later messages must keep their order behind them.
    waiting: dict[str, set[str] | None] = {}
    for row in rows:
        named = _named(row.body, row.actor_uri)
        ahead = waiting.get(row.actor_uri, set())
        outcome = None
        if ahead is not None and not ahead & named:
            outcome = settle(row.id, row.inbox, row.body, uris, facts)
        if outcome is not None:
            settled.append(outcome)
            continue
        remaining.append(row)
        kind = row.body.get("type") if isinstance(row.body, dict) else None
        if ahead is not None and kind in NEUTRAL_AHEAD and named:
            waiting[row.actor_uri] = ahead | named
        else:
            waiting[row.actor_uri] = None
    return settled, remaining


async def record_settled(session: AsyncSession, settled: Sequence[Settled], now: datetime) -> None:
    """Write what triage settled: the Delete markers, then each message done with its reason."""
    markers = [{"uri": s.marker[0], "actor_uri": s.marker[1], "deleted_at": now}
               for s in settled if s.marker is not None]  # fmt: skip
    await insert_ignoring_conflicts(session, table(DeletedObject), markers)
    by_reason: dict[str | None, list[int]] = {}
    for outcome in settled:
        by_reason.setdefault(outcome.reason if outcome.ignored else None, []).append(
            outcome.message_id
        )
    for reason, ids in by_reason.items():
        await queue.complete(session, table(InboxMessage), ids, last_error=reason)
