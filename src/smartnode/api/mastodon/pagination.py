"""Mastodon's pagination: `limit` (default 20, at most 40), `max_id`, `since_id`, `min_id`
in, a `Link` header out with rel="next" (`max_id` of the last item) and rel="prev" (`min_id`
of the first), keeping the request's other parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request

from smartnode.storage.windows import IdWindow

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
#: Bounded like a 64-bit id, so a huge number is a clear 422 rather than a database error.
Id = Annotated[int | None, Query(ge=0, le=2**63 - 1)]
_PAGING = ("limit", "max_id", "since_id", "min_id")


def clamp(limit: int | None, *, default: int = DEFAULT_LIMIT, most: int = MAX_LIMIT) -> int:
    """Mastodon's rule: the default when absent, at most `most`, at least one."""
    if limit is None:
        return default
    return max(1, min(abs(limit), most))


def window(
    limit: Annotated[int | None, Query(ge=-(2**31), le=2**31)] = None,
    max_id: Id = None,
    since_id: Id = None,
    min_id: Id = None,
) -> IdWindow:
    """The requested window of ids."""
    return IdWindow(clamp(limit), max_id, since_id, min_id)


WindowDep = Annotated[IdWindow, Depends(window)]


def link_headers(request: Request, base_url: str, ids: Sequence[int], limit: int) -> dict[str, str]:
    """`Link` for a page whose items have `ids` (newest first), on the node's public base
    URL; none for an empty page."""
    if not ids:
        return {}
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in _PAGING]
    base = f"{base_url}{request.url.path}"

    def url(key: str, value: int) -> str:
        return f"{base}?{urlencode([*kept, ('limit', str(limit)), (key, str(value))])}"

    return {
        "Link": f'<{url("max_id", ids[-1])}>; rel="next", <{url("min_id", ids[0])}>; rel="prev"'
    }
