"""The HTML page of a topic feed (api/activitypub.py negotiates and calls `feed_page`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_of
from smartnode.config import Settings
from smartnode.federation.uris import NodeUris
from smartnode.matching.feeds import latest_calls
from smartnode.storage.models import Actor
from smartnode.storage.models_work import TopicFeed
from smartnode.web.i18n import N_
from smartnode.web.pages import error_page, render
from smartnode.web.syndication import call_item

PAGE_ITEMS = 20


async def feed_page(
    request: Request, session: AsyncSession, actor: Actor, headers: dict[str, str]
) -> Response:
    """The page at a live feed's id: what it carries, how to follow it, its latest calls."""
    settings: Settings = request.app.state.settings
    uris: NodeUris = request.app.state.uris
    topic = await session.get(TopicFeed, actor.id)
    if topic is None:
        return error_page(request, 404, N_("This feed has no filter."), headers)
    calls = await latest_calls(session, topic, datetime.now(UTC), limit=PAGE_ITEMS)
    view: dict[str, Any] = {
        "name": actor.name,
        "handle": handle_of(actor, settings.domain),
        "language": actor.language,
        "summary": Markup(actor.summary),  # noqa: S704 - built from escaped text when created
        "rss": uris.syndication(actor.username, "rss"),
        "atom": uris.syndication(actor.username, "atom"),
        "ics": uris.syndication(actor.username, "ics"),
        "calls": [
            {"item": call_item(obj, author), "closes": obj.closes_at, "language": obj.language}
            for obj, author in calls
        ],
    }
    return render(request, "feed.html", headers=headers, f=view, actor_uri=actor.uri)
