"""The delivery worker's HTTP client: aiohttp behind the same connect-time address guard.

Delivery is the one hot outbound path (DESIGN.md "Outbound HTTP"): bench/fanout.py measured
httpx well below the target, so POSTs to inboxes go through aiohttp. Its connector connects to
exactly the addresses its resolver returns, so `GuardedResolver` is the connect-time check: it
resolves through federation/transport.py's GuardedBackend and refuses a name with any address
the AddressPolicy refuses. aiohttp never asks the resolver about IP-literal hosts, so
`url_refusal` checks those (and the scheme) before a request is made. Proxies from the
environment, cookies, redirects and decompression are off; response bodies are read up to a
small cap and otherwise the connection is dropped.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import httpcore
from aiohttp.abc import AbstractResolver, ResolveResult

from smartnode.federation.addresses import AddressPolicy, parse_ip_literal
from smartnode.federation.fetch_errors import RefusedUrl
from smartnode.federation.transport import GuardedBackend, Resolver

MAX_ANSWER_BYTES = 64 * 1024
_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that returns only addresses the policy allows (else BlockedAddress)."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self._backend = GuardedBackend(policy, resolver)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Every address of `host`, each checked; a refused one refuses the whole name."""
        try:
            addresses = await self._backend.checked_addresses(host, port)
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            raise OSError(str(exc)) from None
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=_NUMERIC,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Answer:
    """What one POST came to: a status (None when no answer), Retry-After, or why not."""

    status: int | None
    retry_after: str | None = None
    error: str | None = None
    refused: bool = False  # the URL or its address may never be reached: do not retry


def url_refusal(url: str, policy: AddressPolicy, schemes: tuple[str, ...]) -> str | None:
    """Why an inbox URL may not be posted to (scheme, credentials, IP literal), or None."""
    try:
        split = urlsplit(url)
        host = split.hostname or ""
        split.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return f"malformed inbox URL {url[:200]!r}"
    if split.scheme.lower() not in schemes:
        return f"inbox URL scheme {split.scheme!r} is not allowed"
    if not host or split.username is not None or split.password is not None:
        return "inbox URL has no host or carries credentials"
    literal = parse_ip_literal(host)
    if literal is not None:
        reason = policy.refusal(literal)
        if reason is not None:
            return f"{host} is not a public address: {literal} is {reason}"
    return None


class DeliveryClient:
    """One aiohttp session per worker process: keep-alive, per-host connection cap, timeout."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        timeout: float = 10.0,
        max_connections: int = 512,
        per_host: int = 8,
        allow_http: bool = False,
        user_agent: str = "smartnode",
    ) -> None:
        self.policy = policy
        self.schemes = ("https", "http") if allow_http else ("https",)
        self._resolver = resolver
        self._timeout = timeout
        self._max_connections = max_connections
        self._per_host = per_host
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.policy, self._resolver),
            limit=self._max_connections,
            limit_per_host=self._per_host,
            ttl_dns_cache=60,
            keepalive_timeout=60,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            trust_env=False,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": self._user_agent},
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST `body`; never raises for network trouble (the Answer says what happened)."""
        problem = url_refusal(url, self.policy, self.schemes)
        if problem is not None:
            return Answer(None, error=problem, refused=True)
        if self._session is None:
            self._session = self._open()
        try:
            async with self._session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await _drain(response)
                return Answer(response.status, response.headers.get("Retry-After"))
        except (RefusedUrl, aiohttp.InvalidURL) as exc:
            return Answer(None, error=str(exc)[:500], refused=True)
        except TimeoutError:
            return Answer(None, error=f"no answer within {self._timeout:g} s")
        except (aiohttp.ClientError, OSError) as exc:
            return Answer(None, error=f"{type(exc).__name__}: {exc}"[:500])

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read a small answer so the connection can be reused; drop it when the answer is big."""
    read = 0
    while not response.content.at_eof():
        chunk = await response.content.readany()
        if not chunk:
            return
        read += len(chunk)
        if read > MAX_ANSWER_BYTES:
            response.close()
            return
