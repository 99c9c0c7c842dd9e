"""Errors of outbound fetching (re-exported by federation/fetch.py, which draws the tree)."""

from __future__ import annotations

from smartnode.errors import SmartnodeError


class FetchError(SmartnodeError):
    """A remote document could not be fetched or was refused; the message names the URL."""

    status_code = 502
    code = "fetch_failed"


class RefusedUrl(FetchError):
    """The URL may not be fetched at all (scheme, credentials, our own origin)."""

    code = "fetch_refused"


class BlockedAddress(RefusedUrl):
    """The host is, or resolves to, an address outbound requests may not reach."""

    code = "fetch_blocked_address"

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host} is not a public address: {reason}")
        self.host = host
        self.reason = reason


class BudgetExhausted(FetchError):
    """The caller's fetch budget (per incoming activity) is spent."""

    code = "fetch_budget_exhausted"


class TooManyRedirects(FetchError):
    code = "fetch_too_many_redirects"


class BadContentType(FetchError):
    code = "fetch_bad_content_type"


class TooLarge(FetchError):
    code = "fetch_too_large"


class FetchTimeout(FetchError):
    """A connect/read timeout or the overall deadline passed."""

    code = "fetch_timeout"


class BadDocument(FetchError):
    """Not JSON, too deep, not an object, forbidden JSON-LD, or `id` differs from the URL."""

    code = "fetch_bad_document"


class HTTPStatusError(FetchError):
    """The remote answered with a status other than 2xx (or a redirect we follow)."""

    code = "fetch_http_status"

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered HTTP {status}")
        self.url = url
        self.status = status
