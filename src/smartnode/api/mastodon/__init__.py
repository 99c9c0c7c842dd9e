"""The Mastodon client API (/api/v1, /api/v2): what Mastodon apps call, in Mastodon's shapes.

Each module translates: it reads and decides through the domain's use cases (content/, actors/,
accounts/) and answers with the entities of `entities.py`. `include(app)` adds every router.
"""

from __future__ import annotations

from fastapi import FastAPI

from smartnode.api.mastodon import (
    account_blocks,
    account_follows,
    accounts,
    conversations,
    instance,
    lists,
    media,
    notifications,
    preferences,
    search,
    status_actions,
    status_edits,
    statuses,
    streaming,
    streaming_sse,
    timelines,
)
from smartnode.api.mastodon.answer_cache import CachedAnswers
from smartnode.api.mastodon.cors import MastodonCors


def include(app: FastAPI) -> None:
    """Add the Mastodon client API's routers to `app` (ahead of the pages), open to scripts
    of other origins as Mastodon is (cors.py); the answers apps ask for again and again are
    kept a few seconds (answer_cache.py)."""
    app.add_middleware(CachedAnswers)  # inside CORS: a kept answer gets its headers too
    app.add_middleware(MastodonCors)
    app.include_router(instance.router)  # /api/v1/instance, /api/v2/instance, peers, emojis
    app.include_router(preferences.router)  # /api/v1/preferences, /api/v1/markers
    app.include_router(search.router)  # before accounts: /api/v1/accounts/search
    app.include_router(accounts.router)
    app.include_router(account_follows.router)
    app.include_router(account_blocks.router)  # block, mute; /api/v1/blocks, /api/v1/mutes
    app.include_router(statuses.router)
    app.include_router(status_actions.router)
    app.include_router(status_edits.router)
    app.include_router(timelines.router)
    app.include_router(conversations.router)  # /api/v1/conversations
    app.include_router(lists.router)  # /api/v1/lists, /accounts/:id/lists, /timelines/list
    app.include_router(media.router)  # /api/v1/media, /api/v2/media
    app.include_router(notifications.router)
    app.include_router(streaming.router)  # /api/v1/streaming (WebSocket) and its health
    app.include_router(streaming_sse.router)  # /api/v1/streaming/user, /public, … (SSE)
