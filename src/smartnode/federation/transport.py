"""The guarded httpx transport (every connection's address checked at CONNECT time) and
bounded reading of response bodies.

The network backend resolves the host itself, refuses the connection when any resolved address
is not allowed by the AddressPolicy, and connects to the address it checked — so a DNS answer
cannot change between the check and the connect (rebinding). TLS SNI, certificate checks and
the Host header still use the name. Proxies from the environment are ignored (they would
bypass the check). Interop: like Mastodon's Request::Socket, a name with any refused address
is refused as a whole.

`read_capped` reads a streamed body within a byte cap on the wire AND after decompression
(gzip/deflate only), so neither a huge body nor a decompression bomb is held in memory.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from smartnode.federation.addresses import AddressPolicy, IPAddress, parse_ip_literal
from smartnode.federation.fetch_errors import BadDocument, BlockedAddress, TooLarge

Resolver = Callable[[str, int], Awaitable[list[str]]]

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS  # zlib detects the gzip or zlib header itself


async def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of `host` from the system resolver (getaddrinfo), in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self.policy = policy
        self._resolver = resolver or system_resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, check every address, then connect to the first checked one that answers."""
        addresses = await self.checked_addresses(host, port, timeout)
        failure: Exception = httpcore.ConnectError(f"cannot connect to {host}")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def checked_addresses(
        self, host: str, port: int, resolve_seconds: float | None = None
    ) -> list[IPAddress]:
        """The addresses `host` names, all allowed by the policy, or BlockedAddress."""
        literal = parse_ip_literal(host)
        addresses = (
            [literal] if literal is not None else await self._resolve(host, port, resolve_seconds)
        )
        for address in addresses:
            reason = self.policy.refusal(address)
            if reason is not None:
                raise BlockedAddress(host, f"{address} is {reason}")
        return addresses

    async def _resolve(self, host: str, port: int, seconds: float | None) -> list[IPAddress]:
        try:
            async with asyncio.timeout(seconds):
                names = await self._resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = [parse_ip_literal(name) for name in names]
        found = [address for address in addresses if address is not None]
        if not found or len(found) != len(addresses):
            raise httpcore.ConnectError(f"cannot resolve {host}")
        return found

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from outbound requests")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx.AsyncHTTPTransport whose connection pool dials through a GuardedBackend.

    Replaces the pool httpx would build (httpx is pinned; tests/federation/test_transport.py
    proves the guard is in the path by refusing `localhost`).
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        http2: bool = False,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> None:
        self.backend = GuardedBackend(policy, resolver)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=self.backend,
            socket_options=socket_options,
        )


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body, decoded; TooLarge once the wire bytes or the decoded bytes pass `limit`."""
    url = response.request.url
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"{url} declares {declared} bytes (cap {limit})")
    decoder = _decoder(response.headers.get("content-encoding", ""), url)
    wire, body = 0, bytearray()
    async for chunk in response.aiter_raw():
        wire += len(chunk)
        if wire > limit:
            raise TooLarge(f"{url} sent more than {limit} bytes")
        if decoder is None:
            body += chunk
        else:  # never inflate more than the cap allows, whatever the chunk holds
            body += decoder.decompress(chunk, limit + 1 - len(body))
            if decoder.unconsumed_tail:
                raise TooLarge(f"{url} decompresses to more than {limit} bytes")
        if len(body) > limit:
            raise TooLarge(f"{url} is more than {limit} bytes")
    if decoder is not None:
        body += decoder.flush()
        if len(body) > limit:
            raise TooLarge(f"{url} decompresses to more than {limit} bytes")
        if decoder.unused_data:
            raise BadDocument(f"{url} sent data after the end of its compressed body")
    return bytes(body)


def _decoder(content_encoding: str, url: httpx.URL) -> Any:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(_GZIP_OR_ZLIB)
    raise BadDocument(f"{url} uses the unsupported content encoding {encoding!r}")
