"""The fetcher's caps: body size on the wire and decoded, deadlines and timeouts, JSON shape,
and collection walking. Loopback servers and httpx.MockTransport only."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from smartnode.federation.addresses import AddressPolicy
from smartnode.federation.fetch import (
    BadDocument,
    Fetcher,
    FetchError,
    FetchTimeout,
    TooLarge,
)
from smartnode.federation.fetch_collections import fetch_collection_items
from smartnode.federation.transport import GuardedTransport
from tests.federation.loopback import (
    AP,
    MIB,
    LoopbackServer,
    Route,
    ap_response,
    head,
    mock_fetcher,
    node_settings,
    streamed,
)

# --- size, compression, time ---------------------------------------------------------------


def small_buffers() -> GuardedTransport:
    """Loopback transport with a small receive buffer, so bytes sent ≈ bytes read."""
    options = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)]
    return GuardedTransport(AddressPolicy(allow_private=True), socket_options=options)


def stream_of(total: int, declare_length: bool) -> Route:
    async def route(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
        fields = {"Content-Type": AP}
        if declare_length:
            fields["Content-Length"] = str(total)
        await server.send(writer, head(200, fields))
        chunk = b'{"pad": "' + b"x" * (64 * 1024) + b'"}'
        while server.sent < total:
            await server.send(writer, chunk)

    return route


@pytest.mark.parametrize("declare_length", [False, True])
async def test_a_5_mib_body_is_cut_after_1_mib(tmp_path: Path, declare_length: bool) -> None:
    settings = node_settings(tmp_path, allow_private=True)
    async with LoopbackServer({"/big": stream_of(5 * MIB, declare_length)}) as server:
        async with Fetcher(settings, transport=small_buffers()) as fetcher:
            with pytest.raises(TooLarge):
                await fetcher.fetch_json(server.url("/big"))
        await asyncio.wait_for(server.finished.wait(), timeout=10)
    assert server.sent < 2 * MIB


async def test_a_declared_length_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    pulled: list[int] = []

    class Counted(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(80):
                pulled.append(1)
                yield b" " * 65536

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": AP, "Content-Length": str(80 * 65536)}
        return httpx.Response(200, headers=headers, stream=Counted())

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(TooLarge, match="declares"):
            await fetcher.fetch_json("https://remote.example/users/alice")
    assert pulled == []


async def test_wire_bytes_are_capped_even_when_they_decode_to_little(tmp_path: Path) -> None:
    """Bytes after the end of a gzip member decode to nothing; the wire cap still stops them."""
    body = gzip.compress(b'{"id": "https://remote.example/users/alice"}') + b"\0" * (5 * MIB)

    def handler(request: httpx.Request) -> httpx.Response:
        return streamed(200, {"Content-Type": AP, "Content-Encoding": "gzip"}, body)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(TooLarge, match="sent more than"):
            await fetcher.fetch_json("https://remote.example/users/alice")


async def test_data_after_the_compressed_body_is_refused(tmp_path: Path) -> None:
    body = gzip.compress(b'{"id": "https://remote.example/users/alice"}') + b"trailing"

    def handler(request: httpx.Request) -> httpx.Response:
        return streamed(200, {"Content-Type": AP, "Content-Encoding": "gzip"}, body)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(BadDocument, match="after the end"):
            await fetcher.fetch_json("https://remote.example/users/alice")


async def test_a_gzip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = gzip.compress(b'{"id": "' + b"a" * (64 * MIB) + b'"}', compresslevel=9)
    assert len(bomb) < MIB  # it passes the wire cap; only the decoded cap can stop it

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": AP, "Content-Encoding": "gzip"}
        return streamed(200, headers, bomb)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(TooLarge, match="decompresses"):
            await fetcher.fetch_json("https://remote.example/users/alice")


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compressed_document_is_decoded(tmp_path: Path, encoding: str) -> None:

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.dumps({"id": str(request.url), "name": "Alice " * 1000})
        packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
        headers = {"Content-Type": AP, "Content-Encoding": encoding}
        return streamed(200, headers, packed)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        fetched = await fetcher.fetch_json("https://remote.example/users/alice")
    assert fetched.data["name"].startswith("Alice Alice")


async def test_an_unknown_content_encoding_is_refused(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": AP, "Content-Encoding": "br"}
        return streamed(200, headers, b"\x0b\x02\x80{}\x03")

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(BadDocument, match="content encoding"):
            await fetcher.fetch_json("https://remote.example/users/alice")


async def slow_loris(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
    """Headers, then one byte every 50 ms; stops by itself after 10 s or when the peer leaves."""
    await server.send(writer, head(200, {"Content-Type": AP, "Content-Length": "100000"}))
    for _ in range(200):
        await server.send(writer, b" ")
        await asyncio.sleep(0.05)


async def test_a_slow_loris_is_cut_at_the_deadline(tmp_path: Path) -> None:
    settings = node_settings(tmp_path, allow_private=True)
    async with LoopbackServer({"/slow": slow_loris}) as server:
        fetcher = Fetcher(settings, deadline=0.5, timeout=httpx.Timeout(30.0))
        async with fetcher:
            with pytest.raises(FetchTimeout, match=r"took longer than 0\.5 s"):
                await fetcher.fetch_json(server.url("/slow"))
        await asyncio.wait_for(server.finished.wait(), timeout=15)


async def test_a_silent_server_hits_the_read_timeout(tmp_path: Path) -> None:
    async def silent(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(1)

    settings = node_settings(tmp_path, allow_private=True)
    async with LoopbackServer({"/silent": silent}) as server:
        fetcher = Fetcher(settings, deadline=30, timeout=httpx.Timeout(0.2))
        async with fetcher:
            with pytest.raises(FetchTimeout, match="timed out"):
                await fetcher.fetch_json(server.url("/silent"))
        await asyncio.wait_for(server.finished.wait(), timeout=5)


async def test_connection_refused_is_a_fetch_error(tmp_path: Path) -> None:
    async with LoopbackServer({}) as server:
        url = server.url("/gone")  # the port is closed once the server has stopped
    async with Fetcher(node_settings(tmp_path, allow_private=True)) as fetcher:
        with pytest.raises(FetchError, match="could not be fetched"):
            await fetcher.fetch_json(url)


# --- JSON shape --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "deeper than 32"),
        (b"[" * 10_000 + b"]" * 10_000, "deeper than 32"),
        (b"[1, 2]", "not a JSON object"),
        (b"<html>", "not valid JSON"),
        (orjson.dumps({"id": "x", "to": ["a"] * 10_000}), "more than"),
        (b'{"id": "https://remote.example/n", "@graph": []}', "@graph"),
        (b'{"@context": {"type": "@id"}, "id": "https://remote.example/n"}', "core term"),
    ],
)
async def test_bad_json_is_a_typed_error(tmp_path: Path, body: bytes, message: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return streamed(200, {"Content-Type": AP}, body)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(BadDocument, match=message):
            await fetcher.fetch_json("https://remote.example/n")


# --- collections ---------------------------------------------------------------------------------


def collection_host(pages: dict[str, dict[str, Any]], requested: list[str]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        requested.append(url)
        if url not in pages:
            return httpx.Response(404)
        return ap_response(request, {"id": url, **pages[url]})

    return handler


R = "https://remote.example"


async def test_collection_pages_are_walked_until_a_loop(tmp_path: Path) -> None:
    pages = {
        f"{R}/c": {"type": "OrderedCollection", "totalItems": 4, "first": f"{R}/c?p=1"},
        f"{R}/c?p=1": {"orderedItems": ["a", "b"], "next": f"{R}/c?p=2"},
        f"{R}/c?p=2": {"orderedItems": ["c", "d"], "next": f"{R}/c?p=1"},
    }
    requested: list[str] = []
    async with mock_fetcher(tmp_path, collection_host(pages, requested)) as fetcher:
        items = await fetch_collection_items(fetcher, f"{R}/c", limit=100)
    assert items == ["a", "b", "c", "d"]
    assert requested == [f"{R}/c", f"{R}/c?p=1", f"{R}/c?p=2"]


async def test_collection_walk_stops_at_a_page_on_another_host(tmp_path: Path) -> None:
    pages = {
        f"{R}/c": {
            "type": "OrderedCollection",
            "first": {"orderedItems": ["a"], "next": f"{R}/p2"},
        },
        f"{R}/p2": {"orderedItems": ["b"], "next": "https://elsewhere.example/p3"},
        "https://elsewhere.example/p3": {"orderedItems": ["forged"]},
    }
    requested: list[str] = []
    async with mock_fetcher(tmp_path, collection_host(pages, requested)) as fetcher:
        items = await fetch_collection_items(fetcher, f"{R}/c", limit=100)
    assert items == ["a", "b"]
    assert "https://elsewhere.example/p3" not in requested


async def test_collection_walk_stops_at_the_limit(tmp_path: Path) -> None:
    pages = {f"{R}/c": {"type": "OrderedCollection", "first": f"{R}/c/1"}}
    for n in range(1, 6):
        pages[f"{R}/c/{n}"] = {"orderedItems": [f"i{n}a", f"i{n}b"], "next": f"{R}/c/{n + 1}"}
    requested: list[str] = []
    async with mock_fetcher(tmp_path, collection_host(pages, requested)) as fetcher:
        items = await fetch_collection_items(fetcher, f"{R}/c", limit=3)
    assert items == ["i1a", "i1b", "i2a"]
    assert requested == [f"{R}/c", f"{R}/c/1", f"{R}/c/2"]


async def test_collection_walk_stops_after_max_pages_of_empty_pages(tmp_path: Path) -> None:
    pages = {f"{R}/c": {"type": "OrderedCollection", "first": f"{R}/c/1"}}
    for n in range(1, 50):
        pages[f"{R}/c/{n}"] = {"orderedItems": [], "next": f"{R}/c/{n + 1}"}
    requested: list[str] = []
    async with mock_fetcher(tmp_path, collection_host(pages, requested)) as fetcher:
        items = await fetch_collection_items(fetcher, f"{R}/c", limit=10, max_pages=4)
    assert items == []
    assert len(requested) == 1 + 4


async def test_collection_inline_items_count(tmp_path: Path) -> None:
    pages = {f"{R}/c": {"type": "Collection", "items": ["x", {"id": f"{R}/y"}]}}
    async with mock_fetcher(tmp_path, collection_host(pages, [])) as fetcher:
        items = await fetch_collection_items(fetcher, f"{R}/c", limit=10)
    assert items == ["x", {"id": f"{R}/y"}]
