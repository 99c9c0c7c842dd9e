"""What a topic feed's calendar holds: the deadlines of the calls it carries, and the public
upcoming events (ours and other nodes') that its filter matches.

Calls are those the feed carries (matching/feeds.latest_calls: live, public, open, deadline not
passed, matching); a call without a deadline has no calendar entry, and a closed, filled or
expired call none either. An event matches by the calls' rules read off the event: `sector` —
the organising project's sectors or the event's hashtags; `country` — its place's country;
`remote` — true: online only, false: it has a place. `skill` and `occupation` describe work,
not events: a feed filtered on either carries no events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.to_ap import hashtag_name
from smartnode.content.terms import EVENT
from smartnode.matching.feeds import SCAN_LIMIT, CallFacts, latest_calls, matches
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_profiles import Project
from smartnode.storage.models_work import TopicFeed

#: Call deadlines and events one calendar lists at most (each).
CALENDAR_ITEMS = 200


@dataclass(frozen=True, slots=True)
class FeedCalendar:
    """The calls whose deadlines a feed's calendar shows (with authors), and its events."""

    calls: list[tuple[ContentObject, Actor]]
    events: list[ContentObject]


def event_facts(obj: ContentObject, project_sectors: list[str] | tuple[str, ...] = ()) -> CallFacts:
    """An event's facts in the shape feed filters test (pure): no skills, no occupation."""
    given: Any = obj.extra.get("event") if isinstance(obj.extra, dict) else None
    event: dict[str, Any] = given if isinstance(given, dict) else {}
    place = event.get("place") if isinstance(event.get("place"), dict) else None
    tags = [t for t in obj.tags if isinstance(t, dict)] if isinstance(obj.tags, list) else []
    names = [*project_sectors, *(t.get("name", "") for t in tags if t.get("type") == "Hashtag")]
    sectors = {hashtag_name(str(n).lstrip("#")).lower() for n in names if isinstance(n, str)}
    country = place.get("country") if place else None
    code = country.strip().upper() if isinstance(country, str) else ""
    return CallFacts(
        sectors=frozenset(s for s in sectors if s),
        skills=frozenset(),
        occupation=None,
        country=code if len(code) == 2 else None,
        remote=place is None and bool(event.get("online_url")),
    )


async def feed_calendar(session: AsyncSession, topic: TopicFeed, now: datetime) -> FeedCalendar:
    """The deadlines and events of one feed's calendar, soonest first."""
    carried = await latest_calls(session, topic, now, limit=CALENDAR_ITEMS)
    calls = sorted(
        ((obj, author) for obj, author in carried if obj.closes_at is not None),
        key=lambda pair: (pair[0].closes_at, pair[0].id),
    )
    return FeedCalendar(calls=calls, events=await matching_events(session, topic, now))


async def matching_events(
    session: AsyncSession, topic: TopicFeed, now: datetime, *, limit: int = CALENDAR_ITEMS
) -> list[ContentObject]:
    """Live public events not yet ended whose facts match the feed's filter, soonest first."""
    ends = func.coalesce(ContentObject.ends_at, ContentObject.starts_at)
    rows = await session.scalars(
        select(ContentObject)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.kind == EVENT, ContentObject.deleted_at.is_(None))
        .where(ContentObject.visibility == "public", Actor.deleted_at.is_(None))
        .where(ContentObject.starts_at.is_not(None), ends >= now)
        .order_by(ContentObject.starts_at.asc(), ContentObject.id.asc())
        .limit(SCAN_LIMIT)
    )
    found: list[ContentObject] = []
    for obj in rows.all():
        project = await session.get(Project, obj.project_id or obj.actor_id)
        if matches(topic.filter, event_facts(obj, project.sectors if project else ())):
            found.append(obj)
            if len(found) >= limit:
                break
    return found
