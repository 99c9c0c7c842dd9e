"""Likes and Announces of stored objects, counted on the object. Counters change by one SQL
UPDATE each (`count = count + delta`) at commit, so concurrent workers never lose a count."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from smartnode.storage.kept import KeptForCommit
from smartnode.storage.models import Actor, ContentObject, Reaction, table
from smartnode.storage.read_ahead import local_object
from smartnode.storage.upsert import insert_ignoring_conflicts

LIKE = "like"
ANNOUNCE = "announce"
_COUNTERS = {
    LIKE: ContentObject.likes_count,
    ANNOUNCE: ContentObject.announces_count,
    "reply": ContentObject.replies_count,
}


#: (object id, counter, delta) of each bump, until the commit.
_DELTAS: KeptForCommit[tuple[int, str, int]] = KeptForCommit("smartnode.reactions.deltas")


async def bump(session: AsyncSession, object_id: int, counter: str, delta: int) -> None:
    """Add `delta` to one of an object's counters when the transaction commits (never below
    zero): a counter is a hot row many transactions touch; written at commit, in id order, its
    lock is held for a moment, not for a whole transaction."""
    _DELTAS.note(session.sync_session, (object_id, counter, delta))


def _apply_deltas(session: Session) -> None:
    """before_commit: one UPDATE per changed counter, in id order (no deadlock between two).
    A savepoint's commit (the event fires for it too) leaves them for the transaction's."""
    deltas: Counter[tuple[int, str]] = Counter()
    for object_id, counter, delta in _DELTAS.take(session):
        deltas[(object_id, counter)] += delta
    for (object_id, counter), delta in sorted(deltas.items()):
        if delta == 0:
            continue
        column = _COUNTERS[counter]
        statement = update(ContentObject).where(ContentObject.id == object_id)
        if delta < 0:
            statement = statement.where(column >= -delta)
        session.execute(
            statement.values({column.key: column + delta}),
            execution_options={"synchronize_session": False},
        )


def _forget_deltas(session: Session, previous: SessionTransaction) -> None:
    _DELTAS.forget(session, previous)


def install_listeners() -> None:
    """Counters are written just before each commit; a rollback forgets the bumps made in
    what it ended (storage/kept.py)."""
    if not event.contains(Session, "before_commit", _apply_deltas):
        event.listen(Session, "before_commit", _apply_deltas)
        event.listen(Session, "after_soft_rollback", _forget_deltas)


async def count_reply(session: AsyncSession, in_reply_to: str | None, delta: int) -> None:
    """Count a reply (or its deletion) on the stored, live object it answers."""
    if in_reply_to is None:
        return
    read = local_object(session, in_reply_to)  # read ahead with its group of inbox messages
    if read is not None:
        parent = read.id if read.deleted_at is None else None
    else:
        parent = await session.scalar(
            select(ContentObject.id).where(
                ContentObject.uri == in_reply_to, ContentObject.deleted_at.is_(None)
            )
        )
    if parent is not None:
        await bump(session, parent, "reply", delta)


async def add_reaction(
    session: AsyncSession, *, uri: str, obj: ContentObject, actor: Actor, kind: str, now: datetime
) -> bool:
    """Record a Like/Announce once per (object, actor, kind) and count it; False if known."""
    row = {"uri": uri, "object_id": obj.id, "actor_id": actor.id, "kind": kind, "created_at": now}
    if not await insert_ignoring_conflicts(session, table(Reaction), [row]):
        return False
    await bump(session, obj.id, kind, 1)
    return True


async def reaction_of(
    session: AsyncSession, actor_uri: str, *, uri: str | None, object_uri: str | None, kind: str
) -> Reaction | None:
    """`actor_uri`'s reaction of this kind, by its activity id, else by the object it names."""
    query = (
        select(Reaction)
        .join(Actor, Actor.id == Reaction.actor_id)
        .where(Actor.uri == actor_uri, Reaction.kind == kind)
    )
    if uri is not None:
        found = await session.scalar(query.where(Reaction.uri == uri))
        if found is not None:
            return found
    if object_uri is None:
        return None
    return await session.scalar(
        query.join(ContentObject, ContentObject.id == Reaction.object_id).where(
            ContentObject.uri == object_uri
        )
    )


async def remove_reaction(session: AsyncSession, reaction: Reaction) -> None:
    """Take a reaction back and uncount it."""
    await session.delete(reaction)
    await session.flush()
    await bump(session, reaction.object_id, reaction.kind, -1)
