"""Rows read ahead into one session: the worker reads, in a few statements, the actors and
objects a group of inbox messages names, and the handlers' look-ups by id then find them there
instead of sending one statement each.

Only what the session may rely on until it ends is kept: remote actors and our live objects
found (a look-up of anything else still asks the database), our live actors, found or not
(no inbox message creates or deletes one of our actors), and the objects the messages act on,
found or not (stored objects are never removed, and the one place that stores a remote object,
content/remote.py `store_note`, records it here).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.storage.in_lists import few_lengths
from smartnode.storage.models import Actor, ContentObject

_REMOTE = "smartnode.read_ahead.remote_actors"
_LOCAL = "smartnode.read_ahead.local_actors"
_OBJECTS = "smartnode.read_ahead.objects"
_STORED = "smartnode.read_ahead.stored"


async def read_remote_actors(session: AsyncSession, uris: Iterable[str]) -> None:
    """Read these remote actors' rows in one statement (`remote_actor` then finds them)."""
    known: dict[str, Actor] = session.info.setdefault(_REMOTE, {})
    wanted = set(uris) - known.keys()
    if wanted:
        rows = await session.scalars(
            select(Actor).where(Actor.uri.in_(few_lengths(wanted)), Actor.local.is_(False))
        )
        known.update((actor.uri, actor) for actor in rows.all())


def remote_actor(session: AsyncSession, uri: str) -> Actor | None:
    """A remote actor read ahead in this session, or None (then ask the database)."""
    known: dict[str, Actor] | None = session.info.get(_REMOTE)
    return known.get(uri) if known is not None else None


async def read_local(
    session: AsyncSession, actor_uris: Iterable[str], object_uris: Iterable[str]
) -> None:
    """Read our live actors and objects under these ids, and the objects' authors, in two
    statements: `local_actors` and `local_object` then find them (the authors by primary key,
    through the session's identity map)."""
    objects: dict[str, ContentObject] = session.info.setdefault(_OBJECTS, {})
    wanted_objects = set(object_uris) - objects.keys()
    authors: set[int] = set()
    if wanted_objects:
        found = await session.scalars(
            select(ContentObject).where(
                ContentObject.uri.in_(few_lengths(wanted_objects)),
                ContentObject.local.is_(True),
                ContentObject.deleted_at.is_(None),
            )
        )
        for obj in found.all():
            objects[obj.uri] = obj
            authors.add(obj.actor_id)
    actors: dict[str, Actor | None] = session.info.setdefault(_LOCAL, {})
    wanted_actors = set(actor_uris) - actors.keys()
    if not wanted_actors and not authors:
        return
    rows = await session.scalars(
        select(Actor).where(
            or_(Actor.uri.in_(few_lengths(wanted_actors)), Actor.id.in_(few_lengths(authors))),
            Actor.local.is_(True),
            Actor.deleted_at.is_(None),
        )
    )
    actors.update(dict.fromkeys(wanted_actors))
    actors.update((actor.uri, actor) for actor in rows.all())


async def local_actors(session: AsyncSession, uris: Iterable[str]) -> list[Actor]:
    """Our live actors under these ids, in id order: those read ahead from the session, the
    others in one statement."""
    known: dict[str, Actor | None] = session.info.get(_LOCAL, {})
    wanted = list(dict.fromkeys(uris))
    found = [actor for uri in wanted if (actor := known.get(uri)) is not None]
    unknown = [uri for uri in wanted if uri not in known]
    if unknown:
        found += (
            await session.scalars(
                select(Actor).where(
                    Actor.uri.in_(few_lengths(unknown)),
                    Actor.local.is_(True),
                    Actor.deleted_at.is_(None),
                )
            )
        ).all()
    return sorted(found, key=lambda actor: actor.id)


async def local_actor(session: AsyncSession, uri: str) -> Actor | None:
    """Our live actor under this id, or None."""
    found = await local_actors(session, [uri])
    return found[0] if found else None


async def read_stored(session: AsyncSession, uris: Iterable[str]) -> None:
    """Read the objects we store under these ids (ours or remote, deleted or not) in one
    statement: `stored_read_ahead` then answers for each of them, found or not."""
    known: dict[str, ContentObject | None] = session.info.setdefault(_STORED, {})
    wanted = set(uris) - known.keys()
    if wanted:
        rows = await session.scalars(
            select(ContentObject).where(ContentObject.uri.in_(few_lengths(wanted)))
        )
        known.update(dict.fromkeys(wanted))
        known.update((obj.uri, obj) for obj in rows.all())


def stored_read_ahead(session: AsyncSession, uri: str) -> tuple[bool, ContentObject | None]:
    """(True, the row or None when there is none) for an id read ahead in this session;
    (False, None) for any other id (then ask the database)."""
    known: dict[str, ContentObject | None] | None = session.info.get(_STORED)
    if known is None or uri not in known:
        return False, None
    return True, known[uri]


def remember_stored(session: AsyncSession, obj: ContentObject) -> None:
    """A row just added to the session: later look-ups of its id in this session find it."""
    known: dict[str, ContentObject | None] | None = session.info.get(_STORED)
    if known is not None:
        known[obj.uri] = obj


def local_object(session: AsyncSession, uri: str) -> ContentObject | None:
    """One of our live objects read ahead in this session, or None (then ask the database)."""
    known: dict[str, ContentObject] | None = session.info.get(_OBJECTS)
    return known.get(uri) if known is not None else None
