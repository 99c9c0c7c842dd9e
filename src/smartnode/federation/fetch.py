"""The one outbound HTTP client: SSRF-safe, bounded fetching of remote ActivityPub documents.

Rules (PROTOCOL.md "Fetching remote documents"): https only (http too when
`allow_private_addresses` is on: tests and the local demo); no credentials in URLs; never our
own origin unless the caller says so; every connection's address checked at connect time
(federation/transport.py); at most 3 redirects, each hop checked again; the document's `id`
must equal the final URL; content type activity+json or ld+json with the AS profile; body
≤ 1 MiB (compressed and decompressed), connect/read timeouts plus an overall deadline; JSON
depth ≤ 32, capped arrays, an object at the top, no forbidden JSON-LD (federation/jsonld.py).
Walking a Collection's pages by these rules: fetch_collections.py.

Errors (all SmartnodeError, HTTP 502 if they reach an edge; defined in fetch_errors.py):

FetchError
 ├── RefusedUrl           scheme, credentials, our own origin, malformed URL
 │    └── BlockedAddress  the host is or resolves to a non-public address
 ├── BudgetExhausted      the caller's per-activity fetch budget is spent
 ├── TooManyRedirects     more than 3 hops
 ├── BadContentType       not an ActivityPub media type
 ├── TooLarge             body over the cap (also decompressed)
 ├── FetchTimeout         connect/read timeout or the overall deadline
 ├── BadDocument          not JSON, too deep, not an object, forbidden JSON-LD, id ≠ URL
 └── HTTPStatusError      any other status (`.status`: 404/410 tell a deleted object)
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from smartnode import __version__
from smartnode.config import Settings
from smartnode.federation.addresses import AddressPolicy, normalise_host, parse_ip_literal
from smartnode.federation.fetch_errors import (
    BadContentType,
    BadDocument,
    BlockedAddress,
    BudgetExhausted,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    RefusedUrl,
    TooLarge,
    TooManyRedirects,
)
from smartnode.federation.jsonld import DocumentRejected, parse_document, parse_object
from smartnode.federation.transport import GuardedTransport, read_capped
from smartnode.federation.vocab import ACTIVITY_JSON, AS_CONTEXT, LD_JSON_AS

__all__ = [
    "ACCEPT_AP",
    "ACCEPT_JRD",
    "BadContentType",
    "BadDocument",
    "BlockedAddress",
    "BudgetExhausted",
    "FetchBudget",
    "FetchError",
    "FetchTimeout",
    "FetchedDocument",
    "Fetcher",
    "HTTPStatusError",
    "RefusedUrl",
    "TooLarge",
    "TooManyRedirects",
    "is_activity_media_type",
    "origin",
]

ACCEPT_AP = f"{ACTIVITY_JSON}, {LD_JSON_AS}"
ACCEPT_JRD = "application/jrd+json, application/json;q=0.8"
MAX_BODY_BYTES = 1 << 20
MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_DEADLINE = 20.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """A checked remote document: where it was finally found, the status and the object."""

    url_final: str
    status: int
    data: dict[str, Any]


class FetchBudget:
    """How many outbound requests (redirect hops included) one incoming activity may cause."""

    def __init__(self, max_fetches: int) -> None:
        self.max_fetches = max_fetches
        self.used = 0

    @property
    def remaining(self) -> int:
        return max(self.max_fetches - self.used, 0)

    def spend(self, url: str) -> None:
        """Count one request, or raise BudgetExhausted when none is left."""
        if self.used >= self.max_fetches:
            raise BudgetExhausted(f"fetch budget of {self.max_fetches} spent before {url}")
        self.used += 1


class DocumentSource(Protocol):
    """What reads remote documents: the Fetcher itself, or federation/prefetch.py's Prefetched
    for code running inside a transaction."""

    async def fetch_json(
        self,
        url: str,
        *,
        signer: httpx.Auth | None = None,
        accept: str = ...,
        budget: FetchBudget | None = None,
        allow_local: bool = False,
    ) -> FetchedDocument: ...

    async def fetch_jrd(
        self, url: str, *, budget: FetchBudget | None = None, allow_local: bool = False
    ) -> FetchedDocument: ...


class Fetcher:
    """Owns the process's outbound httpx client; use `async with` or call `aclose()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        policy: AddressPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.policy = policy or AddressPolicy(allow_private=settings.allow_private_addresses)
        self.deadline = deadline
        self.max_bytes = max_bytes
        self._schemes = ("https", "http") if settings.allow_private_addresses else ("https",)
        self._own_origin = origin(httpx.URL(settings.base_url))
        self._client = httpx.AsyncClient(
            transport=transport or GuardedTransport(self.policy),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"smartnode/{__version__} (+{settings.base_url}/)"},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch_json(
        self,
        url: str,
        *,
        signer: httpx.Auth | None = None,
        accept: str = ACCEPT_AP,
        budget: FetchBudget | None = None,
        allow_local: bool = False,
    ) -> FetchedDocument:
        """GET an ActivityPub document by all the rules above, within the overall deadline."""
        return await self._fetch(url, signer, accept, budget, allow_local, activitypub=True)

    async def fetch_jrd(
        self, url: str, *, budget: FetchBudget | None = None, allow_local: bool = False
    ) -> FetchedDocument:
        """GET a WebFinger/host-meta JRD: the same guards, JRD/JSON media types, no `id` rule."""
        return await self._fetch(url, None, ACCEPT_JRD, budget, allow_local, activitypub=False)

    async def _fetch(
        self,
        url: str,
        signer: httpx.Auth | None,
        accept: str,
        budget: FetchBudget | None,
        allow_local: bool,
        *,
        activitypub: bool,
    ) -> FetchedDocument:
        try:
            async with asyncio.timeout(self.deadline):
                return await self._follow(url, signer, accept, budget, allow_local, activitypub)
        except TimeoutError:
            raise FetchTimeout(f"{url} took longer than {self.deadline:g} s") from None

    async def _follow(
        self,
        url: str,
        signer: httpx.Auth | None,
        accept: str,
        budget: FetchBudget | None,
        allow_local: bool,
        activitypub: bool,
    ) -> FetchedDocument:
        current = self.checked_url(url, allow_local=allow_local)
        headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate"}
        for hop in range(MAX_REDIRECTS + 1):
            if budget is not None:
                budget.spend(str(current))
            try:
                async with self._client.stream(
                    "GET", current, headers=headers, auth=signer
                ) as response:
                    location = response.headers.get("location")
                    if response.status_code not in _REDIRECTS or not location:
                        return await self._document(response, current, activitypub)
            except httpx.TimeoutException:
                raise FetchTimeout(f"{current} timed out") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{current} could not be fetched: {type(exc).__name__}") from None
            if hop == MAX_REDIRECTS:
                raise TooManyRedirects(f"{url} redirected more than {MAX_REDIRECTS} times")
            current = self.checked_url(str(current.join(location)), allow_local=allow_local)
        raise AssertionError("unreachable")  # pragma: no cover

    async def call_json(
        self,
        url: str,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> FetchedDocument:
        """GET (or POST `form`) a plain JSON service such as an OpenID provider, by the same
        guards (URL, address, deadline, size, depth); no redirect is followed, any JSON type."""
        checked = self.checked_url(url)
        sent = {"Accept": "application/json", **(headers or {})}
        try:
            async with (
                asyncio.timeout(self.deadline),
                self._client.stream(
                    "POST" if form is not None else "GET", checked, data=form, headers=sent,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                ) as response,
            ):  # fmt: skip
                if not 200 <= response.status_code < 300:
                    raise HTTPStatusError(str(checked), response.status_code)
                media = response.headers.get("content-type", "").partition(";")[0].strip()
                if media != "application/json" and not media.endswith("+json"):
                    raise BadContentType(f"{checked} is {media or 'untyped'}, not JSON")
                data = parse_object(await read_capped(response, self.max_bytes))
        except TimeoutError:
            raise FetchTimeout(f"{checked} took longer than {self.deadline:g} s") from None
        except httpx.TimeoutException:
            raise FetchTimeout(f"{checked} timed out") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{checked} could not be fetched: {type(exc).__name__}") from None
        except DocumentRejected as exc:
            raise BadDocument(f"{checked}: {exc.message}") from None
        return FetchedDocument(url_final=str(checked), status=response.status_code, data=data)

    def checked_url(self, url: str, *, allow_local: bool = False) -> httpx.URL:
        """The URL to request (no fragment, host normalised), or RefusedUrl/BlockedAddress."""
        try:
            parsed = httpx.URL(url)
            host = normalise_host(parsed.host)
        except (httpx.InvalidURL, ValueError, TypeError):
            self._refuse_literal(urlsplit(url).hostname or "")  # e.g. 0177.0.0.1, httpx refuses
            raise RefusedUrl(f"not a fetchable URL: {url!r}") from None
        if parsed.scheme not in self._schemes:
            raise RefusedUrl(f"{url} does not use {' or '.join(self._schemes)}")
        if parsed.userinfo:
            raise RefusedUrl(f"{parsed.host}: URLs with credentials are not fetched")
        self._refuse_literal(host)
        checked = parsed.copy_with(host=host, fragment=None)
        if not allow_local and self._is_own(checked):
            raise RefusedUrl(f"{url} is on this node: our own URIs are never fetched")
        return checked

    def _is_own(self, url: httpx.URL) -> bool:
        """On this node's host: same port, or the default ports of http and https alike."""
        _, host, port = origin(url)
        _, own_host, own_port = self._own_origin
        defaults = _DEFAULT_PORTS.values()
        return host == own_host and (
            port == own_port or (port in defaults and own_port in defaults)
        )

    def _refuse_literal(self, host: str) -> None:
        """BlockedAddress when `host` spells an IP address the policy refuses."""
        literal = parse_ip_literal(host)
        if literal is not None and (reason := self.policy.refusal(literal)) is not None:
            raise BlockedAddress(host, f"{literal} is {reason}")

    async def _document(
        self, response: httpx.Response, url: httpx.URL, activitypub: bool
    ) -> FetchedDocument:
        if not 200 <= response.status_code < 300:
            raise HTTPStatusError(str(url), response.status_code)
        content_type = response.headers.get("content-type", "")
        media_ok = is_activity_media_type if activitypub else _is_jrd_media_type
        if not media_ok(content_type):
            raise BadContentType(f"{url} is {content_type or 'untyped'}, not the expected JSON")
        body = await read_capped(response, self.max_bytes)
        try:
            data = parse_document(body) if activitypub else parse_object(body)
        except DocumentRejected as exc:
            raise BadDocument(f"{url}: {exc.message}") from None
        if activitypub and _canonical(data.get("id")) != str(url):
            raise BadDocument(f"{url} holds a document whose id is not that URL")
        return FetchedDocument(url_final=str(url), status=response.status_code, data=data)


def is_activity_media_type(value: str) -> bool:
    """activity+json, or ld+json whose profile names ActivityStreams (never plain JSON)."""
    media, _, params = value.partition(";")
    media = media.strip().lower()
    if media == ACTIVITY_JSON:
        return True
    if media != "application/ld+json":
        return False
    for name, raw in _PARAM.findall(";" + params):
        if name.lower() == "profile":
            return AS_CONTEXT in raw.strip().strip('"').split()
    return False


def _is_jrd_media_type(value: str) -> bool:
    media = value.partition(";")[0].strip().lower()
    return media in ("application/jrd+json", "application/json")


def origin(url: httpx.URL) -> tuple[str, str, int]:
    """(scheme, host, port) with the host normalised and the default port filled in."""
    port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
    return url.scheme, normalise_host(url.host), port


def _canonical(uri: Any) -> str:
    """`uri` as checked_url spells a URL (so an id compares equal to the URL it was served at)."""
    if not isinstance(uri, str):
        return ""
    try:
        parsed = httpx.URL(uri)
        return str(parsed.copy_with(host=normalise_host(parsed.host)))
    except (httpx.InvalidURL, ValueError, TypeError):
        return ""
