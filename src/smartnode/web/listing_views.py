"""What the home, project and tag pages list of calls, events and posts (content/listings.py
queries; web/call_views.py words them in the page's language)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content import listings
from smartnode.content.terms import ANNOUNCEMENT, EVENT
from smartnode.content.timeline import home_timeline
from smartnode.storage.models import Actor
from smartnode.web.call_views import call_card, event_card, post_card
from smartnode.web.i18n import using
from smartnode.web.viewer import request_language

HOME_CALLS = 6
HOME_FOLLOWING = 10
HOME_EVENTS = 6
PROJECT_ITEMS = 10
TAG_ITEMS = 24


async def home_lists(request: Request, session: AsyncSession) -> dict[str, Any]:
    """The newest open calls and the upcoming events of every node."""
    settings = request.app.state.settings
    now = datetime.now(UTC)
    calls = await listings.open_calls_page(session, now, limit=HOME_CALLS)
    events = await listings.upcoming_events(session, now, limit=HOME_EVENTS, everywhere=True)
    with using(request_language(request, settings)):
        return {
            "calls": [call_card(view, settings.domain) for view in calls],
            "events": [event_card(obj, author) for obj, author in events],
        }


async def home_following(
    request: Request, session: AsyncSession, member: Actor | None
) -> dict[str, Any]:
    """A signed-in member's home timeline: the latest of what they follow, and their own."""
    if member is None:
        return {}
    async with session.begin():
        rows = await home_timeline(session, member, limit=HOME_FOLLOWING)
    with using(request_language(request, request.app.state.settings)):
        return {"following": [post_card(obj, author) for obj, author in rows]}


async def project_lists(request: Request, session: AsyncSession, project: Actor) -> dict[str, Any]:
    """A project's open calls, upcoming events and recent posts."""
    settings = request.app.state.settings
    now = datetime.now(UTC)
    calls = await listings.project_open_calls(session, project, now, limit=PROJECT_ITEMS)
    events = await listings.upcoming_events(session, now, limit=PROJECT_ITEMS,
                                            actor_id=project.id)  # fmt: skip
    posts = await listings.recent_posts(session, project.id, limit=PROJECT_ITEMS)
    with using(request_language(request, settings)):
        return {
            "calls": [call_card(view, settings.domain) for view in calls],
            "events": [event_card(obj, author) for obj, author in events],
            "posts": [post_card(obj, author) for obj, author in posts],
        }


async def tag_lists(request: Request, session: AsyncSession, name: str) -> dict[str, Any]:
    """The posts, open calls and upcoming events with the hashtag `name`."""
    settings = request.app.state.settings
    now = datetime.now(UTC)
    calls = await listings.open_calls_page(session, now, limit=TAG_ITEMS, tag=name)
    events = await listings.tagged(session, EVENT, name, now, limit=TAG_ITEMS)
    posts = await listings.tagged(session, ANNOUNCEMENT, name, now, limit=TAG_ITEMS)
    with using(request_language(request, settings)):
        return {
            "calls": [call_card(view, settings.domain) for view in calls],
            "events": [event_card(obj, author) for obj, author in events],
            "posts": [post_card(obj, author) for obj, author in posts],
        }
