"""Collections of local actors (outbox, followers, following, team) and directory listings.

Pages use keyset pagination on row ids (newest first; `max_id` walks older, `min_id` newer),
so a page costs the same whatever the collection's size. Documents are built by the pure
`*_to_ap` functions at the top; queries follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from smartnode.actors.to_ap import hashtag_name
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.federation.vocab import AS_CONTEXT
from smartnode.storage.models import Activity, Actor, ContentObject, Follow
from smartnode.storage.models_profiles import MemberProfile, Project, ProjectMember

ACCEPTED = "accepted"
ACTIVE_MONTH = timedelta(days=30)
ACTIVE_HALFYEAR = timedelta(days=180)
TAG_SCAN_BATCH = 500


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page: newest (no cursor), older than `max_id`, or newer than `min_id`."""

    limit: int
    max_id: int | None = None
    min_id: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """Items newest first, their row ids, and whether older / newer rows exist."""

    items: list[str]
    ids: list[int]
    has_older: bool
    has_newer: bool


def collection_to_ap(uri: str, total: int) -> dict[str, Any]:
    """A paged OrderedCollection root: the count and links to the first and last pages."""
    return {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": NodeUris.collection_page(uri),
        "last": NodeUris.collection_page(uri, min_id=0),
    }


def unpaged_collection_to_ap(uri: str, items: list[str]) -> dict[str, Any]:
    """A short OrderedCollection carrying its items (featured, as Mastodon serves it)."""
    return {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }


def hidden_collection_to_ap(uri: str, total: int) -> dict[str, Any]:
    """A hidden network: the count only, no pages (as Mastodon serves hidden collections)."""
    return {"@context": AS_CONTEXT, "id": uri, "type": "OrderedCollection", "totalItems": total}


def page_to_ap(collection_uri: str, page_uri: str, page: Page) -> dict[str, Any]:
    """An OrderedCollectionPage with keyset `next` (older) and `prev` (newer) links."""
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": page_uri,
        "type": "OrderedCollectionPage",
        "partOf": collection_uri,
        "orderedItems": page.items,
    }
    if page.ids and page.has_older:
        doc["next"] = NodeUris.collection_page(collection_uri, max_id=page.ids[-1])
    if page.ids and page.has_newer:
        doc["prev"] = NodeUris.collection_page(collection_uri, min_id=page.ids[0])
    return doc


@dataclass(frozen=True, slots=True)
class Source:
    """Rows of a collection: a query of (row id, item uri) and the row id column to page on."""

    query: Select[int, str]
    row_id: InstrumentedAttribute[int]


def collection_source(actor_id: int, name: str) -> Source | None:
    """Where the items of a paged collection come from; None when it holds nothing yet."""
    if name == "followers":
        return Source(followers_query(actor_id), Follow.id)
    if name == "following":
        return Source(following_query(actor_id), Follow.id)
    if name == "members":
        return Source(team_query(actor_id), ProjectMember.id)
    if name == "outbox":
        return Source(outbox_query(actor_id), Activity.id)
    return None


def outbox_query(actor_id: int) -> Select[int, str]:
    """(activity id, activity uri) of an actor's public Creates whose object is not deleted."""
    return (
        select(Activity.id, Activity.uri)
        .join(ContentObject, ContentObject.uri == Activity.object_uri)
        .where(Activity.actor_id == actor_id, Activity.public.is_(True))
        .where(Activity.activity_type == "Create", ContentObject.deleted_at.is_(None))
    )


def followers_query(actor_id: int) -> Select[int, str]:
    """(follow id, follower uri) of accepted follows of an actor by live actors."""
    return (
        select(Follow.id, Actor.uri)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == ACCEPTED)
        .where(Actor.deleted_at.is_(None))
    )


def following_query(actor_id: int) -> Select[int, str]:
    """(follow id, followed uri) of an actor's accepted follows of live actors."""
    return (
        select(Follow.id, Actor.uri)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Follow.follower_id == actor_id, Follow.state == ACCEPTED)
        .where(Actor.deleted_at.is_(None))
    )


def team_query(project_id: int) -> Select[int, str]:
    """(membership id, member uri) of a project's live team."""
    return (
        select(ProjectMember.id, Actor.uri)
        .join(Actor, Actor.id == ProjectMember.member_id)
        .where(ProjectMember.project_id == project_id, Actor.deleted_at.is_(None))
    )


async def count_items(session: AsyncSession, source: Source) -> int:
    """totalItems of a collection."""
    found = await session.scalar(select(func.count()).select_from(source.query.subquery()))
    return int(found or 0)


async def fetch_page(session: AsyncSession, source: Source, want: PageRequest) -> Page:
    """One keyset page, newest first; one row more than asked tells whether more lie beyond."""
    query, row_id = source.query, source.row_id
    if want.min_id is not None:
        rows = (
            await session.execute(
                query.where(row_id > want.min_id).order_by(row_id.asc()).limit(want.limit + 1)
            )
        ).all()
        ordered = list(reversed(rows[: want.limit]))
        older = await _exists(session, query.where(row_id <= want.min_id))
        return _page(ordered, has_older=older, has_newer=len(rows) > want.limit)
    if want.max_id is not None:
        query = query.where(row_id < want.max_id)
    rows = (await session.execute(query.order_by(row_id.desc()).limit(want.limit + 1))).all()
    newer = want.max_id is not None and await _exists(
        session, source.query.where(row_id >= want.max_id)
    )
    return _page(list(rows[: want.limit]), has_older=len(rows) > want.limit, has_newer=newer)


async def _exists(session: AsyncSession, query: Select[int, str]) -> bool:
    return (await session.execute(query.limit(1))).first() is not None


def _page(rows: Sequence[Any], *, has_older: bool, has_newer: bool) -> Page:
    return Page(
        items=[uri for _, uri in rows],
        ids=[row_id for row_id, _ in rows],
        has_older=has_older,
        has_newer=has_newer,
    )


async def discoverable_projects(
    session: AsyncSession, *, limit: int, after_id: int | None = None
) -> Sequence[tuple[Actor, Project]]:
    """Live, listed projects in creation order, keyset-paged by actor id."""
    query = (
        select(Actor, Project)
        .join(Project, Project.actor_id == Actor.id)
        .where(Actor.deleted_at.is_(None), Actor.discoverable.is_(True))
        .order_by(Actor.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Actor.id > after_id)
    return [(a, p) for a, p in (await session.execute(query)).all()]


async def member_projects(
    session: AsyncSession, member_id: int
) -> Sequence[tuple[ProjectMember, Actor]]:
    """The live projects a member is in, with their role, in joining order."""
    rows = await session.execute(
        select(ProjectMember, Actor)
        .join(Actor, Actor.id == ProjectMember.project_id)
        .where(ProjectMember.member_id == member_id, Actor.deleted_at.is_(None))
        .order_by(ProjectMember.id)
    )
    return [(m, a) for m, a in rows.all()]


async def tagged_members(
    session: AsyncSession, name: str, *, limit: int
) -> list[tuple[Actor, MemberProfile]]:
    """Discoverable members with a skill whose hashtag is `name` (case-insensitive)."""
    wanted = name.lower()
    found: list[tuple[Actor, MemberProfile]] = []
    after = 0
    while len(found) < limit:
        rows = (
            await session.execute(
                select(Actor, MemberProfile)
                .join(MemberProfile, MemberProfile.actor_id == Actor.id)
                .where(Actor.deleted_at.is_(None), Actor.discoverable.is_(True))
                .where(Actor.id > after)
                .order_by(Actor.id)
                .limit(TAG_SCAN_BATCH)
            )
        ).all()
        if not rows:
            break
        after = rows[-1][0].id
        found.extend((a, p) for a, p in rows if _has_tag(p.skills, wanted))
    return found[:limit]


async def tagged_projects(
    session: AsyncSession, name: str, *, limit: int
) -> list[tuple[Actor, Project]]:
    """Discoverable projects with a sector whose hashtag is `name` (case-insensitive)."""
    wanted = name.lower()
    found: list[tuple[Actor, Project]] = []
    after: int | None = None
    while len(found) < limit:
        rows = await discoverable_projects(session, limit=TAG_SCAN_BATCH, after_id=after)
        if not rows:
            break
        after = rows[-1][0].id
        found.extend((a, p) for a, p in rows if _has_tag(p.sectors, wanted))
    return found[:limit]


def _has_tag(tags: list[str], wanted: str) -> bool:
    return any(hashtag_name(tag).lower() == wanted for tag in tags)


async def member_usage(session: AsyncSession, now: datetime) -> tuple[int, int, int]:
    """Live members: all, and those whose profile changed in the last month / half year."""
    month, halfyear = now - ACTIVE_MONTH, now - ACTIVE_HALFYEAR
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Actor.updated_at >= month),
                func.count().filter(Actor.updated_at >= halfyear),
            ).where(
                Actor.local.is_(True),
                Actor.kind == ActorKind.MEMBER.value,
                Actor.deleted_at.is_(None),
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
