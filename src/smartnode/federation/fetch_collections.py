"""Walking a remote Collection's pages through the Fetcher: `first`/`next` followed on the
collection's own host only, with a cap on items and on pages, and loops stopped."""

from __future__ import annotations

from typing import Any

import httpx

from smartnode.federation.fetch import FetchBudget, Fetcher, RefusedUrl, origin

MAX_COLLECTION_PAGES = 10

Host = tuple[str, str, int]


async def fetch_collection_items(
    fetcher: Fetcher,
    url: str,
    *,
    limit: int,
    signer: httpx.Auth | None = None,
    budget: FetchBudget | None = None,
    max_pages: int = MAX_COLLECTION_PAGES,
) -> list[Any]:
    """Items (ids or objects) of a Collection, following `first`/`next` on its own host.

    Stops at `limit` items, after `max_pages` pages, on a page seen before (loops) and on
    a page on another host.
    """
    collection = await fetcher.fetch_json(url, signer=signer, budget=budget)
    host = origin(httpx.URL(collection.url_final))
    seen = {collection.url_final}
    items = _page_items(collection.data)
    page_ref = collection.data.get("first", collection.data.get("next"))
    for _ in range(max_pages):
        if len(items) >= limit or page_ref is None:
            break
        page = await _next_page(fetcher, page_ref, host, seen, signer, budget)
        if page is None:
            break
        items.extend(_page_items(page))
        page_ref = page.get("next")
    return items[:limit]


async def _next_page(
    fetcher: Fetcher,
    ref: Any,
    host: Host,
    seen: set[str],
    signer: httpx.Auth | None,
    budget: FetchBudget | None,
) -> dict[str, Any] | None:
    """The page `ref` names (embedded or by URL), or None on a loop or another host."""
    if isinstance(ref, dict):
        page_id = ref.get("id")
        fresh = not isinstance(page_id, str) or _fresh_page(fetcher, page_id, host, seen)
        return ref if fresh else None
    page_url = _fresh_page(fetcher, ref, host, seen) if isinstance(ref, str) else None
    if page_url is None:
        return None
    fetched = await fetcher.fetch_json(page_url, signer=signer, budget=budget)
    if fetched.url_final != page_url and not _fresh_page(fetcher, fetched.url_final, host, seen):
        return None  # redirected to a page seen before or to another host
    return fetched.data


def _fresh_page(fetcher: Fetcher, url: str, host: Host, seen: set[str]) -> str | None:
    """`url` checked, if it is a page not seen before on the collection's host (remembered)."""
    try:
        checked = fetcher.checked_url(url)
    except RefusedUrl:
        return None
    if str(checked) in seen or origin(checked) != host:
        return None
    seen.add(str(checked))
    return str(checked)


def _page_items(page: dict[str, Any]) -> list[Any]:
    value = page.get("orderedItems", page.get("items"))
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
