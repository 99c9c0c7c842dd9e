"""Topic feeds as the native API and the CLI use them: each use case takes the acting principal
(actors/acting.py decides: admins create, edit and delete feeds; everyone reads them). Services
never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import require_admin
from smartnode.actors.collections import collection_source, count_items
from smartnode.actors.federate import publish_actor_delete, publish_actor_update
from smartnode.actors.feeds import (
    FeedInput,
    FeedUpdate,
    create_feed,
    delete_feed,
    edit_feed,
    get_feed,
    live_feeds,
)
from smartnode.config import Settings
from smartnode.federation.uris import NodeUris
from smartnode.matching.feeds import refeed
from smartnode.storage.models import Actor
from smartnode.storage.models_work import TopicFeed

#: A feed, its row and how many follow it.
Feed = tuple[Actor, TopicFeed, int]


async def _counted(session: AsyncSession, actor: Actor, feed: TopicFeed) -> Feed:
    source = collection_source(actor.id, "followers")
    return actor, feed, await count_items(session, source) if source is not None else 0


async def all_feeds(session: AsyncSession) -> Sequence[Feed]:
    """The live topic feeds with their follower counts."""
    return [await _counted(session, actor, feed) for actor, feed in await live_feeds(session)]


async def one_feed(session: AsyncSession, slug: str) -> Feed:
    """A live topic feed by slug (NotFound, Gone)."""
    actor, feed = await get_feed(session, slug)
    return await _counted(session, actor, feed)


async def add_feed(
    session: AsyncSession, settings: Settings, principal: Principal, data: FeedInput,
    now: datetime,
) -> Feed:  # fmt: skip
    """An admin creates a topic feed."""
    require_admin(principal)
    actor, feed = await create_feed(session, settings, data, now)
    return await _counted(session, actor, feed)


async def change_feed(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, data: FeedUpdate,
    now: datetime,
) -> Feed:  # fmt: skip
    """An admin edits a feed: Update{Service}; a new filter re-feeds the matching calls."""
    require_admin(principal)
    actor, feed, refiltered = await edit_feed(session, slug, data, now)
    await publish_actor_update(session, uris, actor, now)
    if refiltered:
        await refeed(session, uris, actor, feed, now)
    return await _counted(session, actor, feed)


async def remove_feed(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, now: datetime
) -> None:
    """An admin deletes a feed: Delete{Service} to its followers, 410 from then on."""
    require_admin(principal)
    actor = await delete_feed(session, slug, now)
    await publish_actor_delete(session, uris, actor, now)
