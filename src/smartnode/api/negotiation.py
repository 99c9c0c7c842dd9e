"""A cheap Accept-header parser: does the client want ActivityStreams JSON or an HTML page?"""

from __future__ import annotations

from functools import lru_cache

#: Media types answered with the AS2 document (any ld+json profile; Mastodon sends none).
AS_TYPES = frozenset({"application/activity+json", "application/ld+json", "application/json"})
#: Media types answered with the HTML page; `*/*` alone (curl, most tools) gets the page too.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/*", "*/*"})
_NONE = (-1.0, 0)


def _quality(params: list[str]) -> float:
    """The q parameter of one Accept entry (1.0 when absent, 0.0 when unreadable)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


@lru_cache(maxsize=512)
def wants_activity_json(accept: str) -> bool:
    """True when the best match of `accept` is an AS2 JSON type (a tie goes to the earlier one)."""
    best_json, best_html = _NONE, _NONE
    for position, entry in enumerate(accept.split(",")):
        media, *params = entry.split(";")
        media = media.strip().lower()
        if media not in AS_TYPES and media not in HTML_TYPES:
            continue
        quality = _quality(params)
        if quality <= 0.0:
            continue
        rank = (quality, -position)
        if media in AS_TYPES:
            best_json = max(best_json, rank)
        else:
            best_html = max(best_html, rank)
    return best_json > best_html
