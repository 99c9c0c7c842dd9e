"""Public pages kept rendered for visitors who are not signed in: the board and the pages of
calls, events and posts, per address and language.

A call shared on the fediverse brings a crowd at once (people following the link, and every
server that fetches the page for its link preview); they all see the same page, so it is
rendered once per `SMARTNODE_PAGE_CACHE_SECONDS` (default 5; 0 turns the cache off). A
signed-in member always gets a page rendered for them, so their own changes show at once;
visitors see a change within those seconds. Only a 200 page with no cookie to set is kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from smartnode.api.cache import CachedResponse, DocumentCache
from smartnode.api.mastodon.answer_cache import STATE_KEY as ANSWERS_KEY
from smartnode.config import Settings
from smartnode.web.viewer import page_viewer, request_language

STATE_KEY = "pages"
MAX_ENTRIES = 5_000


def page_cache(request: Request) -> DocumentCache:
    """This process's cache of public pages (made on first use)."""
    state = request.app.state
    found = getattr(state, STATE_KEY, None)
    if not isinstance(found, DocumentCache):
        settings: Settings = state.settings
        found = DocumentCache(ttl_seconds=settings.page_cache_seconds, max_entries=MAX_ENTRIES)
        setattr(state, STATE_KEY, found)
    return found


def visitor_key(request: Request) -> str | None:
    """The page's key for a visitor who is not signed in (None for a member: never shared)."""
    if page_viewer(request).signed_in:
        return None
    settings: Settings = request.app.state.settings
    query = f"?{request.url.query}" if request.url.query else ""
    return f"page:{request_language(request, settings)}:{request.url.path}{query}"


def _keepable(response: Response) -> bool:
    return response.status_code == 200 and "set-cookie" not in response.headers


async def cached_page(request: Request, render: Callable[[], Awaitable[Response]]) -> Response:
    """The visitor's page from the cache, else `render()` (kept when it may be shared)."""
    cache = page_cache(request)
    key = visitor_key(request) if cache.ttl_seconds > 0 else None
    if key is None:
        return await render()
    hit = cache.get(key)
    if hit is not None:
        return hit.to_response()
    response = await render()
    if not _keepable(response) or not isinstance(response.body, bytes):
        return response
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    media = headers.pop("content-type", "text/html; charset=utf-8")
    entry = CachedResponse(response.body, media, response.status_code, headers)
    return cache.put(key, entry).to_response()


class ClearedByWrites:
    """ASGI middleware: a write through this process (any method but GET, HEAD and OPTIONS,
    inbox deliveries aside: the worker handles those later) empties the page cache and the
    answers kept for Mastodon apps, so what a member just changed shows at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in _READS
            or str(scope["path"]).endswith("/inbox")
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        found = [c for k in _CLEARED if isinstance(c := getattr(state, k, None), DocumentCache)]
        for cache in found:
            cache.forget()  # here at once
        try:
            await self.app(scope, receive, send)
        finally:
            for cache in found:
                cache.clear()  # again once the write is committed, telling other processes


_READS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The caches a write empties: public pages, and the answers kept for Mastodon apps.
_CLEARED = (STATE_KEY, ANSWERS_KEY)
