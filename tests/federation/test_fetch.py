"""The outbound fetcher and its guarded transport, against real loopback servers and
httpx.MockTransport. No traffic leaves 127.0.0.1: names resolve through fake resolvers or to
loopback, and refused addresses are refused before any connection is made."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from smartnode.config import Settings, load_settings
from smartnode.federation.addresses import AddressPolicy
from smartnode.federation.fetch import (
    BadContentType,
    BadDocument,
    BlockedAddress,
    BudgetExhausted,
    FetchBudget,
    Fetcher,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    RefusedUrl,
    TooLarge,
    TooManyRedirects,
)
from smartnode.federation.transport import GuardedTransport

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


@pytest.fixture
async def loopback_fetcher(tmp_path: Path) -> AsyncIterator[Fetcher]:
    async with Fetcher(node_settings(tmp_path, allow_private=True)) as fetcher:
        yield fetcher


# --- the guarded transport: addresses are checked at connect time --------------------------


async def test_transport_refuses_a_name_resolving_to_loopback_when_private_is_off() -> None:
    async with LoopbackServer({"/": document(b"{}")}) as server:
        transport = GuardedTransport(AddressPolicy(allow_private=False))
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(BlockedAddress, match="loopback"):
                await client.get(server.url("/", host="localhost"))
    assert server.requests == []


async def test_transport_connects_to_loopback_when_private_is_on() -> None:
    async with LoopbackServer({"/": document(b"{}")}) as server:
        transport = GuardedTransport(AddressPolicy(allow_private=True))
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.get(server.url("/", host="localhost"))
    assert response.status_code == 200
    assert server.requests[0][1]["host"] == f"localhost:{server.port}"


async def test_a_name_with_any_refused_address_is_refused_whole() -> None:
    policy = AddressPolicy.with_blocked("127.0.0.2/32", allow_private=True)
    resolver = fake_resolver({"mixed.test": ["127.0.0.1", "127.0.0.2"]})
    async with LoopbackServer({"/": document(b"{}")}) as server:
        transport = GuardedTransport(policy, resolver=resolver)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(BlockedAddress, match=r"127\.0\.0\.2"):
                await client.get(server.url("/", host="mixed.test"))
    assert server.requests == []


async def test_transport_connects_to_the_address_it_checked() -> None:
    """The name is resolved once, by the guard; the connection goes to that address."""
    resolver = fake_resolver({"peer.test": ["127.0.0.1"]})
    async with LoopbackServer({"/": document(b"{}")}) as server:
        transport = GuardedTransport(AddressPolicy(allow_private=True), resolver=resolver)
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.get(server.url("/", host="peer.test"))
    assert response.status_code == 200
    assert server.requests[0][1]["host"] == f"peer.test:{server.port}"


async def test_fetcher_refuses_https_to_a_private_name_before_connecting(tmp_path: Path) -> None:
    settings = node_settings(tmp_path, allow_private=False)
    async with LoopbackServer({"/": document(b"{}")}) as server, Fetcher(settings) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch_json(f"https://localhost:{server.port}/")
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://0177.0.0.1/",
        "https://127.1/",
        "https://127.0.0.1./",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/",
        "https://[fd00::1]/",
    ],
)
async def test_numeric_spellings_of_private_addresses_are_blocked(tmp_path: Path, url: str) -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return ap_response(request)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch_json(url)
    assert requested == []


# --- URLs: schemes, credentials, our own origin ----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://remote.example/users/alice",
        "ftp://remote.example/users/alice",
        "file:///etc/passwd",
        "https://user:secret@remote.example/users/alice",
        "https:///no-host",
        "not a url",
    ],
)
async def test_urls_that_are_never_fetched(tmp_path: Path, url: str) -> None:
    async with mock_fetcher(tmp_path, ap_response) as fetcher:
        with pytest.raises(RefusedUrl):
            await fetcher.fetch_json(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://se.smart.test/members/anna",
        "https://SE.Smart.Test./members/anna",
        "https://se.smart.test:443/actor",
        "http://se.smart.test/actor",
    ],
)
async def test_our_own_uris_are_never_fetched(tmp_path: Path, url: str) -> None:
    settings = load_settings(
        domain="se.smart.test", base_url="https://se.smart.test", data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production", allow_private_addresses=True,
    )  # fmt: skip
    async with Fetcher(settings, transport=httpx.MockTransport(ap_response)) as fetcher:
        with pytest.raises(RefusedUrl, match="on this node"):
            await fetcher.fetch_json(url)


async def test_own_uris_can_be_fetched_when_the_caller_allows_it(tmp_path: Path) -> None:
    async with mock_fetcher(tmp_path, ap_response) as fetcher:
        fetched = await fetcher.fetch_json("https://se.smart.test/actor", allow_local=True)
    assert fetched.data["id"] == "https://se.smart.test/actor"


async def test_a_redirect_to_our_own_origin_is_refused(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://se.smart.test/members/anna"})

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(RefusedUrl, match="on this node"):
            await fetcher.fetch_json("https://remote.example/users/alice")


async def test_a_redirect_down_to_http_is_refused(tmp_path: Path) -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return streamed(302, {"Location": "http://remote.example/users/alice"})

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(RefusedUrl, match="https"):
            await fetcher.fetch_json("https://remote.example/users/alice")
    assert requested == ["https://remote.example/users/alice"]


async def test_http_is_allowed_only_with_private_addresses(tmp_path: Path) -> None:
    async with LoopbackServer({}) as server:
        server.routes["/a"] = document({"id": server.url("/a"), "type": "Note"})
        async with Fetcher(node_settings(tmp_path, allow_private=True)) as fetcher:
            fetched = await fetcher.fetch_json(server.url("/a"))
        async with Fetcher(node_settings(tmp_path, allow_private=False)) as fetcher:
            with pytest.raises(RefusedUrl, match="https"):
                await fetcher.fetch_json(server.url("/a"))
    assert fetched.url_final == server.url("/a")
    assert len(server.requests) == 1


# --- redirects --------------------------------------------------------------------------------


def redirect_chain(server: LoopbackServer, hops: int) -> str:
    """/hop{hops} → … → /hop1 → /doc, each a 302 on the same server; returns the start URL."""
    server.routes["/doc"] = document({"id": server.url("/doc"), "type": "Person"})
    for n in range(1, hops + 1):
        server.routes[f"/hop{n}"] = redirect("/doc" if n == 1 else f"/hop{n - 1}")
    return server.url(f"/hop{hops}")


async def test_three_redirects_are_followed(loopback_fetcher: Fetcher) -> None:
    async with LoopbackServer({}) as server:
        fetched = await loopback_fetcher.fetch_json(redirect_chain(server, 3))
    assert fetched.url_final == server.url("/doc")
    assert fetched.data["type"] == "Person"
    assert [path for path, _ in server.requests] == ["/hop3", "/hop2", "/hop1", "/doc"]


async def test_a_fourth_redirect_is_refused(loopback_fetcher: Fetcher) -> None:
    async with LoopbackServer({}) as server:
        with pytest.raises(TooManyRedirects):
            await loopback_fetcher.fetch_json(redirect_chain(server, 4))
    assert "/doc" not in [path for path, _ in server.requests]


async def test_every_hop_is_checked_at_connect_time(tmp_path: Path) -> None:
    """Loopback is allowed for the first hop; the redirect target's name resolves to a
    blocked address, which only the connect-time check can see."""
    policy = AddressPolicy.with_blocked("127.0.0.2/32", allow_private=True)
    resolver = fake_resolver({"origin.test": ["127.0.0.1"], "inner.test": ["127.0.0.2"]})
    settings = node_settings(tmp_path, allow_private=True)
    transport = GuardedTransport(policy, resolver=resolver)
    routes = {"/start": redirect("http://inner.test:{port}/doc")}
    async with (
        LoopbackServer(routes) as server,
        Fetcher(settings, policy=policy, transport=transport) as fetcher,
    ):
        with pytest.raises(BlockedAddress, match=r"inner\.test"):
            await fetcher.fetch_json(server.url("/start", host="origin.test"))
    assert [path for path, _ in server.requests] == ["/start"]


async def test_a_redirect_to_a_blocked_literal_address_is_refused(tmp_path: Path) -> None:
    policy = AddressPolicy.with_blocked("127.0.0.2/32", allow_private=True)
    settings = node_settings(tmp_path, allow_private=True)
    routes = {"/start": redirect("http://0x7f.0.0.2:{port}/doc")}
    async with LoopbackServer(routes) as server, Fetcher(settings, policy=policy) as fetcher:
        with pytest.raises(BlockedAddress, match=r"127\.0\.0\.2"):
            await fetcher.fetch_json(server.url("/start"))
    assert [path for path, _ in server.requests] == ["/start"]


async def test_the_id_must_equal_the_final_url(loopback_fetcher: Fetcher) -> None:
    async with LoopbackServer({}) as server:
        server.routes["/start"] = redirect("/doc")
        server.routes["/doc"] = document({"id": server.url("/start"), "type": "Person"})
        with pytest.raises(BadDocument, match="id is not that URL"):
            await loopback_fetcher.fetch_json(server.url("/start"))


@pytest.mark.parametrize(
    "doc_id",
    [
        "https://remote.example/users/mallory",
        "https://remote.example/users/alice#main-key",
        "https://other.example/users/alice",
        "https://se.smart.test/members/anna",
        None,
        42,
    ],
)
async def test_a_document_claiming_another_id_is_refused(tmp_path: Path, doc_id: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return ap_response(request, {"id": doc_id, "type": "Person"})

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(BadDocument, match="id is not that URL"):
            await fetcher.fetch_json("https://remote.example/users/alice")


async def test_the_id_may_differ_in_host_case_and_default_port(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return ap_response(request, {"id": "https://Remote.Example:443/users/alice"})

    async with mock_fetcher(tmp_path, handler) as fetcher:
        fetched = await fetcher.fetch_json("https://remote.example/users/alice#main-key")
    assert fetched.url_final == "https://remote.example/users/alice"


async def test_the_signer_signs_every_hop(tmp_path: Path) -> None:
    class Stamp(httpx.Auth):
        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, Any, None]:
            request.headers["Signature"] = f"signed {request.url.host}{request.url.path}"
            yield request

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("signature", ""))
        if request.url.host == "old.example":
            return httpx.Response(301, headers={"Location": "https://new.example/u/alice"})
        return ap_response(request)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        await fetcher.fetch_json("https://old.example/u/alice", signer=Stamp())
    assert seen == ["signed old.example/u/alice", "signed new.example/u/alice"]


# --- content type and status -------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        "application/activity+json; charset=utf-8",
        "Application/Activity+JSON",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/ld+json;profile=https://www.w3.org/ns/activitystreams",
        'application/ld+json; charset=utf-8; profile="https://www.w3.org/ns/activitystreams"',
    ],
)
async def test_activitypub_media_types_are_accepted(tmp_path: Path, content_type: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.dumps({"id": str(request.url)})
        return streamed(200, {"Content-Type": content_type}, body)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        fetched = await fetcher.fetch_json("https://remote.example/users/alice")
    assert fetched.status == 200


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/html",
        "text/plain",
        "application/ld+json",
        'application/ld+json; profile="https://example.com/other"',
        "application/octet-stream",
        "",
    ],
)
async def test_other_media_types_are_refused(tmp_path: Path, content_type: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.dumps({"id": str(request.url), "type": "Person"})
        headers = {"Content-Type": content_type} if content_type else {}
        return streamed(200, headers, body)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        with pytest.raises(BadContentType):
            await fetcher.fetch_json("https://remote.example/uploads/actor.json")


async def test_the_accept_header_asks_for_activitypub(tmp_path: Path) -> None:
    accepts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        accepts.append(request.headers["accept"])
        return ap_response(request)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        await fetcher.fetch_json("https://remote.example/users/alice")
    assert accepts[0].startswith("application/activity+json")
    assert 'profile="https://www.w3.org/ns/activitystreams"' in accepts[0]


@pytest.mark.parametrize("status", [404, 410, 401, 500, 304, 302])
async def test_other_statuses_are_typed_errors(tmp_path: Path, status: int) -> None:
    async with mock_fetcher(tmp_path, lambda request: httpx.Response(status)) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            await fetcher.fetch_json("https://remote.example/users/alice")
    assert caught.value.status == status


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
    import zlib

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


async def test_connection_refused_is_a_fetch_error(
    tmp_path: Path, loopback_fetcher: Fetcher
) -> None:
    async with LoopbackServer({}) as server:
        url = server.url("/gone")
    with pytest.raises(FetchError, match="could not be fetched"):
        await loopback_fetcher.fetch_json(url)


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


# --- budget -------------------------------------------------------------------------------------


async def test_the_budget_counts_every_request_and_refuses_past_it(tmp_path: Path) -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        if request.url.path == "/moved":
            return httpx.Response(301, headers={"Location": "/actor"})
        return ap_response(request)

    budget = FetchBudget(3)
    async with mock_fetcher(tmp_path, handler) as fetcher:
        await fetcher.fetch_json("https://remote.example/moved", budget=budget)
        assert budget.remaining == 1
        await fetcher.fetch_json("https://remote.example/note", budget=budget)
        with pytest.raises(BudgetExhausted):
            await fetcher.fetch_json("https://remote.example/other", budget=budget)
    assert requested == ["/moved", "/actor", "/note"]


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
        items = await fetcher.fetch_collection_items(f"{R}/c", limit=100)
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
        items = await fetcher.fetch_collection_items(f"{R}/c", limit=100)
    assert items == ["a", "b"]
    assert "https://elsewhere.example/p3" not in requested


async def test_collection_walk_stops_at_the_limit(tmp_path: Path) -> None:
    pages = {f"{R}/c": {"type": "OrderedCollection", "first": f"{R}/c/1"}}
    for n in range(1, 6):
        pages[f"{R}/c/{n}"] = {"orderedItems": [f"i{n}a", f"i{n}b"], "next": f"{R}/c/{n + 1}"}
    requested: list[str] = []
    async with mock_fetcher(tmp_path, collection_host(pages, requested)) as fetcher:
        items = await fetcher.fetch_collection_items(f"{R}/c", limit=3)
    assert items == ["i1a", "i1b", "i2a"]
    assert requested == [f"{R}/c", f"{R}/c/1", f"{R}/c/2"]


async def test_collection_walk_stops_after_max_pages_of_empty_pages(tmp_path: Path) -> None:
    pages = {f"{R}/c": {"type": "OrderedCollection", "first": f"{R}/c/1"}}
    for n in range(1, 50):
        pages[f"{R}/c/{n}"] = {"orderedItems": [], "next": f"{R}/c/{n + 1}"}
    requested: list[str] = []
    async with mock_fetcher(tmp_path, collection_host(pages, requested)) as fetcher:
        items = await fetcher.fetch_collection_items(f"{R}/c", limit=10, max_pages=4)
    assert items == []
    assert len(requested) == 1 + 4


async def test_collection_inline_items_count(tmp_path: Path) -> None:
    pages = {f"{R}/c": {"type": "Collection", "items": ["x", {"id": f"{R}/y"}]}}
    async with mock_fetcher(tmp_path, collection_host(pages, [])) as fetcher:
        items = await fetcher.fetch_collection_items(f"{R}/c", limit=10)
    assert items == ["x", {"id": f"{R}/y"}]


# --- JRD (WebFinger) -----------------------------------------------------------------------------


async def test_jrd_documents_are_fetched_without_the_id_rule(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.dumps({"subject": "acct:alice@remote.example", "links": []})
        return streamed(200, {"Content-Type": "application/jrd+json"}, body)

    async with mock_fetcher(tmp_path, handler) as fetcher:
        fetched = await fetcher.fetch_jrd(
            "https://remote.example/.well-known/webfinger?resource=acct:alice@remote.example"
        )
        with pytest.raises(BadContentType):
            await fetcher.fetch_json("https://remote.example/.well-known/webfinger")
    assert fetched.data["subject"] == "acct:alice@remote.example"
