"""The guarded transport: every connection's address is checked at connect time. Names resolve
to loopback or through fake resolvers; refused addresses are refused before any connection."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from smartnode.federation.addresses import AddressPolicy
from smartnode.federation.fetch import (
    BlockedAddress,
    Fetcher,
)
from smartnode.federation.transport import GuardedTransport
from tests.federation.loopback import (
    LoopbackServer,
    ap_response,
    document,
    fake_resolver,
    mock_fetcher,
    node_settings,
)

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
