"""Fake remote servers for fetch tests: a tiny HTTP/1.1 server on 127.0.0.1 whose routes
write raw responses, fake resolvers (names never reach DNS), and MockTransport helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from smartnode.config import Settings, load_settings
from smartnode.federation.fetch import Fetcher

AP = "application/activity+json"
MIB = 1 << 20

Route = Callable[["LoopbackServer", asyncio.StreamWriter], Awaitable[None]]


def node_settings(tmp_path: Path, *, allow_private: bool) -> Settings:
    return load_settings(
        domain="se.smart.test",
        base_url="https://se.smart.test",
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        allow_private_addresses=allow_private,
    )


class LoopbackServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 whose routes write raw responses."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.sent = 0
        self.finished = asyncio.Event()
        self.port = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def __aenter__(self) -> LoopbackServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            path = request_line.split()[1]
            self.requests.append((path, headers))
            await self.routes.get(path, not_found)(self, writer)
        except (ConnectionError, IndexError):
            pass
        finally:
            writer.close()
            self.finished.set()

    async def send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        await writer.drain()
        self.sent += len(data)


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode()


def document(
    body: dict[str, Any] | bytes, content_type: str = AP, status: int = 200, **headers: str
) -> Route:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)

    async def route(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
        fields = {"Content-Type": content_type, "Content-Length": str(len(raw)), **headers}
        await server.send(writer, head(status, fields) + raw)

    return route


def redirect(location: str, status: int = 302) -> Route:
    async def route(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
        target = location.replace("{port}", str(server.port))
        await server.send(writer, head(status, {"Location": target, "Content-Length": "0"}))

    return route


async def not_found(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
    await server.send(writer, head(404, {"Content-Length": "0"}))


def fake_resolver(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


def mock_fetcher(
    tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any
) -> Fetcher:
    """A fetcher whose remote servers are faked at the transport (names need no DNS)."""
    settings = node_settings(tmp_path, allow_private=False)
    return Fetcher(settings, transport=httpx.MockTransport(handler), **kwargs)


class Body(httpx.AsyncByteStream):
    """A response body that arrives as a stream, as it does from a real server."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), 65536):
            yield self.data[start : start + 65536]


def streamed(
    status: int, headers: dict[str, str] | None = None, body: bytes = b""
) -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, stream=Body(body))


def ap_response(request: httpx.Request, body: dict[str, Any] | None = None) -> httpx.Response:
    data = body if body is not None else {"id": str(request.url), "type": "Note"}
    return streamed(200, {"Content-Type": AP}, orjson.dumps(data))
