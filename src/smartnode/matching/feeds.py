"""Topic feeds: Service actors that Announce the public calls matching their filter.

A call's facts are read tolerantly from its row (ours or another node's): its terms (through
content/call_terms.py), its Hashtag and DefinedTerm tags, and for our own calls the project's
sectors. Every key of a feed's filter must match. `refresh_call_feeds` is
the one hook that keeps the feeds' boosts in step whenever a call arrives, changes or goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.feeds import live_feeds
from smartnode.actors.to_ap import hashtag_name
from smartnode.content.call_boosts import live_boosts, undo_boost
from smartnode.content.call_terms import call_terms, open_calls
from smartnode.content.terms import CALL
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.federation.vocab import PUBLIC
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor, ContentObject
from smartnode.storage.models_profiles import Project
from smartnode.storage.models_work import TopicFeed

FEEDS = (ActorKind.FEED.value,)
#: How many recent calls a syndication feed looks through to find its matching ones.
SCAN_LIMIT = 500
#: Open calls a feed announces at most when its filter changes (the newest that now match).
BACKFILL = 20


@dataclass(frozen=True, slots=True)
class FeedChanges:
    """What refresh_call_feeds published: Announces of the call, and Undos of Announces."""

    announced: int
    undone: int


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What a feed filter looks at (sectors and hashtags lower-cased, as hashtag names)."""

    sectors: frozenset[str]
    skills: frozenset[str]
    occupation: str | None
    country: str | None
    remote: bool


def _uris_of(items: Any) -> set[str]:
    found: set[str] = set()
    for item in items if isinstance(items, list) else []:
        value = item.get("uri") or item.get("id") if isinstance(item, dict) else item
        if isinstance(value, str):
            found.add(value)
    return found


def call_facts(obj: ContentObject, project_sectors: Sequence[str] = ()) -> CallFacts:
    """The facts of a call that feed filters test (pure)."""
    terms = call_terms(obj)
    names = [*project_sectors, *terms.sectors]
    tags = [t for t in obj.tags if isinstance(t, dict)] if isinstance(obj.tags, list) else []
    names += [t.get("name", "") for t in tags if t.get("type") == "Hashtag"]
    sectors = {hashtag_name(str(n).lstrip("#")).lower() for n in names if isinstance(n, str)}
    skills = set(terms.skill_uris)
    skills |= _uris_of([t for t in tags if t.get("type") == "DefinedTerm"])
    return CallFacts(
        sectors=frozenset(s for s in sectors if s),
        skills=frozenset(skills),
        occupation=terms.occupation,
        country=terms.country,
        remote=terms.remote,
    )


def matches(filter_: dict[str, Any], facts: CallFacts) -> bool:
    """True when every key of the filter holds for the call (pure)."""
    sector = filter_.get("sector")
    if sector and hashtag_name(str(sector)).lower() not in facts.sectors:
        return False
    if filter_.get("skill") and filter_["skill"] not in facts.skills:
        return False
    if filter_.get("occupation") and filter_["occupation"] != facts.occupation:
        return False
    if filter_.get("country") and str(filter_["country"]).upper() != facts.country:
        return False
    remote = filter_.get("remote")
    return remote is None or remote == facts.remote


def is_open_public(obj: ContentObject, now: datetime) -> bool:
    """A call the feeds may carry: live, public, open and not past its deadline."""
    return (
        obj.kind == CALL
        and obj.deleted_at is None
        and obj.visibility == "public"
        and call_terms(obj).is_open(now)
    )


async def facts_of(session: AsyncSession, obj: ContentObject) -> CallFacts:
    """A call's facts, with its project's sectors when the project is ours."""
    project = await session.get(Project, obj.project_id or obj.actor_id)
    return call_facts(obj, project.sectors if project is not None else ())


async def _carrying(
    session: AsyncSession, obj: ContentObject, now: datetime
) -> tuple[Actor | None, list[Actor]]:
    """The call's live author and the live feeds that should carry the call now (none unless
    it is open and public and its author live)."""
    author = await session.get(Actor, obj.actor_id)
    if author is None or author.deleted_at is not None or not is_open_public(obj, now):
        return None, []
    facts = await facts_of(session, obj)
    feeds = [feed for feed, topic in await live_feeds(session) if matches(topic.filter, facts)]
    return author, feeds


async def refresh_call_feeds(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> FeedChanges:
    """Bring the feeds in step with a call (ours or another node's) that arrived, changed or
    went: each feed that should carry it and has no live Announce of it Announces it; each
    feed whose live Announce it should no longer carry (closed, filled, deleted, not public,
    past its deadline, no longer matching) sends Undo{Announce}. Idempotent."""
    if obj.kind != CALL:
        return FeedChanges(0, 0)
    boosts = {feed.id: (a, feed) for a, feed in await live_boosts(session, obj.uri, FEEDS)}
    author, carrying = await _carrying(session, obj, now)
    announced = 0
    for feed in carrying:
        if boosts.pop(feed.id, None) is None and author is not None:
            # Interop: Mastodon's boost shape: to Public, cc the author and the followers.
            followers = NodeUris.collection(feed.uri, "followers")
            await publish(
                session, uris, feed, "Announce", obj=obj.uri, to=[PUBLIC],
                cc=[author.uri, followers], now=now,
            )  # fmt: skip
            announced += 1
    for announce, feed in boosts.values():
        await undo_boost(session, uris, announce, feed, now)
    return FeedChanges(announced=announced, undone=len(boosts))


async def announce_call_to_feeds(
    session: AsyncSession, uris: NodeUris, call_id: int, now: datetime
) -> int:
    """The call job's step: feeds take a new call in (refresh_call_feeds); how many Announced."""
    obj = await session.get(ContentObject, call_id)
    if obj is None:
        return 0
    return (await refresh_call_feeds(session, uris, obj, now)).announced


async def latest_calls(
    session: AsyncSession, topic: TopicFeed, now: datetime, *, limit: int
) -> list[tuple[ContentObject, Actor]]:
    """The newest live public open calls matching a feed's filter, with their authors."""
    rows = await session.execute(
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.kind == CALL, ContentObject.deleted_at.is_(None))
        .where(ContentObject.visibility == "public", Actor.deleted_at.is_(None))
        .where(open_calls(now))
        .order_by(ContentObject.published_at.desc(), ContentObject.id.desc())
        .limit(SCAN_LIMIT)
    )
    found: list[tuple[ContentObject, Actor]] = []
    for obj, author in rows.all():
        if matches(topic.filter, await facts_of(session, obj)):
            found.append((obj, author))
            if len(found) >= limit:
                break
    return found


async def refeed(
    session: AsyncSession, uris: NodeUris, feed: Actor, topic: TopicFeed, now: datetime
) -> FeedChanges:
    """After a feed's filter changed: the calls it boosts that no longer match are undone, and
    the newest open calls that now match (at most BACKFILL) are announced."""
    undone = select(Activity.object_uri).where(
        Activity.activity_type == "Undo", Activity.object_uri.is_not(None)
    )
    boosted = await session.scalars(
        select(ContentObject)
        .join(Activity, Activity.object_uri == ContentObject.uri)
        .where(Activity.actor_id == feed.id, Activity.activity_type == "Announce")
        .where(Activity.uri.not_in(undone))
    )
    calls = {obj.id: obj for obj in boosted.all()}
    for obj, _author in await latest_calls(session, topic, now, limit=BACKFILL):
        calls.setdefault(obj.id, obj)
    announced = withdrawn = 0
    for obj in calls.values():
        changes = await refresh_call_feeds(session, uris, obj, now)
        announced, withdrawn = announced + changes.announced, withdrawn + changes.undone
    return FeedChanges(announced=announced, undone=withdrawn)
