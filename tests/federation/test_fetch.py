"""The fetcher's URL, redirect, identity, media type, status and budget rules, against real
loopback servers and httpx.MockTransport. No traffic leaves 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from smartnode.federation.addresses import AddressPolicy
from smartnode.federation.fetch import (
    BadContentType,
    BadDocument,
    BlockedAddress,
    BudgetExhausted,
    FetchBudget,
    Fetcher,
    HTTPStatusError,
    RefusedUrl,
    TooManyRedirects,
)
from smartnode.federation.transport import GuardedTransport
from tests.federation.loopback import (
    LoopbackServer,
    ap_response,
    document,
    fake_resolver,
    mock_fetcher,
    node_settings,
    redirect,
    streamed,
)


@pytest.fixture
async def loopback_fetcher(tmp_path: Path) -> AsyncIterator[Fetcher]:
    async with Fetcher(node_settings(tmp_path, allow_private=True)) as fetcher:
        yield fetcher


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
    settings = node_settings(tmp_path, allow_private=True)  # http allowed: still refused
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
