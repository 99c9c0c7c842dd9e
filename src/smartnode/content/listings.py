"""What the pages list besides the board: a project's open calls, upcoming events and recent
posts, this node's upcoming events, and the posts, calls and events of a hashtag. Public and
live only; each query here once (the pages only render). Services never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.board import BoardFilter, tag_names
from smartnode.content.call_cases import CallView, board
from smartnode.content.call_terms import open_calls
from smartnode.content.inputs import Visibility
from smartnode.content.terms import ANNOUNCEMENT, CALL, EVENT
from smartnode.matching.terms import fold
from smartnode.storage.models import Actor, ContentObject

#: Rows read when a hashtag is checked in Python after a coarse SQL filter.
TAG_WINDOW = 200


def _ends() -> Any:
    return func.coalesce(ContentObject.ends_at, ContentObject.starts_at)


def _public(kind: str) -> Any:
    return select(ContentObject).where(
        ContentObject.kind == kind,
        ContentObject.deleted_at.is_(None),
        ContentObject.visibility == Visibility.PUBLIC.value,
    )


async def _with_authors(
    session: AsyncSession, rows: Sequence[ContentObject]
) -> list[tuple[ContentObject, Actor]]:
    ids = {obj.actor_id for obj in rows}
    found = await session.scalars(select(Actor).where(Actor.id.in_(ids))) if ids else None
    authors = {actor.id: actor for actor in (found.all() if found else [])}
    return [(obj, authors[obj.actor_id]) for obj in rows if obj.actor_id in authors]


async def upcoming_events(
    session: AsyncSession, now: datetime, *, limit: int, actor_id: int | None = None,
    everywhere: bool = False,
) -> list[tuple[ContentObject, Actor]]:  # fmt: skip
    """Public events not yet ended, soonest first: this node's (of one actor, if given), or
    with `everywhere` those it stores from peer nodes and the fediverse too."""
    query = _public(EVENT).where(_ends() >= now)
    if not everywhere:
        query = query.where(ContentObject.local.is_(True))
    if actor_id is not None:
        query = query.where(ContentObject.actor_id == actor_id)
    order = (ContentObject.starts_at.asc(), ContentObject.id.asc())
    rows = (await session.scalars(query.order_by(*order).limit(limit))).all()
    return await _with_authors(session, rows)


async def recent_posts(
    session: AsyncSession, actor_id: int, *, limit: int
) -> list[tuple[ContentObject, Actor]]:
    """An actor's public posts (not its calls, events or replies), newest first."""
    query = _public(ANNOUNCEMENT).where(
        ContentObject.actor_id == actor_id, ContentObject.local.is_(True)
    )
    rows = (await session.scalars(query.order_by(ContentObject.id.desc()).limit(limit))).all()
    return await _with_authors(session, rows)


async def project_open_calls(
    session: AsyncSession, project: Actor, now: datetime, *, limit: int
) -> list[CallView]:
    """A project's open public calls, newest first."""
    query = _public(CALL).where(ContentObject.actor_id == project.id, open_calls(now))
    rows = (await session.scalars(query.order_by(ContentObject.id.desc()).limit(limit))).all()
    return [CallView(obj, project) for obj in rows]


async def open_calls_page(
    session: AsyncSession, now: datetime, *, limit: int, tag: str | None = None
) -> list[CallView]:
    """The newest open public calls of every node (with a hashtag or sector, if given)."""
    found = await board(session, BoardFilter(sector=tag), now, limit=limit, after=None,
                        sort="newest")  # fmt: skip
    return found.calls


async def tagged(
    session: AsyncSession, kind: str, tag: str, now: datetime, *, limit: int
) -> list[tuple[ContentObject, Actor]]:
    """This node's public posts with the hashtag `tag` (or the upcoming events of every node
    it knows), newest first."""
    wanted = fold(tag.lstrip("#"))
    query = _public(kind).where(
        func.lower(cast(ContentObject.tags, Text)).contains(tag.lower(), autoescape=True)
    )
    if kind == EVENT:
        query = query.where(_ends() >= now)
    else:
        query = query.where(ContentObject.local.is_(True))
    rows = await session.scalars(query.order_by(ContentObject.id.desc()).limit(TAG_WINDOW))
    found = [obj for obj in rows.all() if wanted in tag_names(obj)][:limit]
    return await _with_authors(session, found)
