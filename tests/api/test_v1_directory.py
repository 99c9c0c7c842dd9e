"""The federated directory on the wire, with the peer nodes faked at the transport: the
peer-facing /api/smart/v1/directory answers only a trusted peer's node actor, with only the
members who opted in; a search with `peers=true` (API, page) asks the trusted peers with our
node actor's signature, merges their members with their origin and names a late peer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from smartnode.actors.peers import add_peer
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from tests.accounts.account_support import member_with_password, sign_in
from tests.api.test_v1_auth import admin_headers
from tests.inbox import Fediverse, Streamed
from tests.matching.arrange import member_with_profile

BE, FR = "https://be.smart.test", "https://fr.smart.test"
ALICE = "https://mastodon.example/users/alice"
PRIVATE, PUBLIC = generate_rsa_keypair()
DIRECTORY = "/api/smart/v1/directory"
WORDS = "lighting designer"


def _item(uri: str, title: str, snippet: str) -> dict[str, Any]:
    return {"kind": "member", "uri": uri, "title": title, "snippet": snippet, "language": "en",
            "country": "BE", "remote": False, "local": True, "skills": [], "languages": ["en"],
            "score": 0.03, "updated_at": "2026-12-01T10:00:00Z"}  # fmt: skip


@dataclass
class Peers:
    """be answers at once (one of its items names a member of another host); fr never
    answers in time. Every request to a directory is kept."""

    world: Fediverse = field(default_factory=Fediverse)
    asked: list[httpx.Request] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != DIRECTORY:
            return self.world.handle(request)
        self.asked.append(request)
        if request.url.host == "fr.smart.test":
            await asyncio.sleep(60)  # cancelled at the deadline
        items = [
            _item(f"{BE}/members/lieve", "Lieve Claes", "Lighting <script>x</script> designer"),
            _item("https://elsewhere.example/members/eve", "Eve", "Lighting designer"),
        ]
        body = Streamed(json.dumps({"items": items, "total": 2}).encode())
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=body)


@pytest.fixture
async def node(settings: Settings, db: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Peers]]:
    peers = Peers()
    peers.world.actor(f"{BE}/actor", pem=PUBLIC, type="Application")
    peers.world.actor(ALICE, pem=PUBLIC)  # the same key: only who signs differs
    quick = settings.model_copy(update={"directory_deadline": 1.0})
    app: FastAPI = create_app(quick, outbound_transport=httpx.MockTransport(peers.handle))
    async with db.session() as s, s.begin():
        for base in (BE, FR):
            await add_peer(s, base, datetime.now(UTC))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.base_url) as c,
    ):
        yield c, peers


async def _members(db: Any, settings: Settings) -> dict[str, str]:
    made = {}
    for username, bio, peers in (
        ("astrid", "Lighting designer for opera in Malmö.", True),
        ("sven", "Lighting designer for dance in Lund.", False),
    ):
        opt_ins = {"listed": True, "indexable": True, "found_by_peers": peers}
        actor = await member_with_profile(db, settings, username, {"opt_ins": opt_ins},
                                          summary=bio, language="en")  # fmt: skip
        made[username] = actor.uri
    return made


def _signed(url: str, key_id: str) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    return headers | sign_request_cavage(
        "GET", url, headers, None, key_id, load_private_key(PRIVATE), datetime.now(UTC)
    )


async def test_the_directory_answers_trusted_peers_with_opted_in_members_only(
    node, db, settings
) -> None:
    client, _ = node
    members = await _members(db, settings)
    url = f"{settings.base_url}{DIRECTORY}?q=lighting+designer"

    answer = await client.get(url, headers=_signed(url, f"{BE}/actor#main-key"))

    assert answer.status_code == 200, answer.text
    assert [item["uri"] for item in answer.json()["items"]] == [members["astrid"]]
    local = await client.get("/api/smart/v1/search", params={"q": WORDS})
    assert {i["uri"] for i in local.json()["items"]} == set(members.values())
    stranger = await client.get(url, headers=_signed(url, f"{ALICE}#main-key"))
    assert stranger.status_code == 403, stranger.text
    assert "trusted peers" in stranger.json()["error"]
    unsigned = await client.get(url)
    assert unsigned.status_code == 401 and "signed" in unsigned.json()["error"]
    bad = await client.get(DIRECTORY, params={"limit": "0"})
    assert bad.status_code == 422 and "limit" in bad.json()["error"]


async def test_a_search_with_peers_merges_their_members_and_names_the_late_one(
    node, db, settings
) -> None:
    client, peers = node
    members = await _members(db, settings)
    headers = await admin_headers(db)

    answer = await client.get(
        "/api/smart/v1/search", params={"q": WORDS, "peers": "true"}, headers=headers
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    found = {item["uri"]: item["origin"] for item in body["items"]}
    # ours (both: this node's own search), be's member; not the one be named on another host
    assert found == {members["astrid"]: None, members["sven"]: None,
                     f"{BE}/members/lieve": "be.smart.test"}  # fmt: skip
    lieve = next(i for i in body["items"] if i["origin"])
    assert lieve["local"] is False and "<script>" not in lieve["snippet"]
    assert body["peers"] == {"asked": ["be.smart.test", "fr.smart.test"],
                             "left_out": ["fr.smart.test"]}  # fmt: skip
    signatures = [r.headers.get("signature", "") for r in peers.asked]
    assert len(signatures) == 2
    assert all(f'keyId="{settings.base_url}/actor#main-key"' in s for s in signatures)
    assert {r.url.host for r in peers.asked} == {"be.smart.test", "fr.smart.test"}
    anonymous = await client.get("/api/smart/v1/search", params={"q": WORDS, "peers": "true"})
    assert anonymous.status_code == 401, anonymous.text


async def test_the_search_page_asks_the_peers_for_a_signed_in_member(node, db, settings) -> None:
    client, peers = node
    await _members(db, settings)
    anonymous = await client.get("/search", params={"q": WORDS, "peers": "1"})
    assert 'name="peers"' not in anonymous.text and "be.smart.test" not in anonymous.text
    assert peers.asked == []  # nobody signed in: no peer asked
    await member_with_password(db, settings, "anna")
    assert (await sign_in(client, "anna")).status_code == 303

    page = await client.get("/search", params={"q": WORDS, "peers": "1"})

    assert page.status_code == 200 and 'name="peers" value="1" checked' in page.text
    assert "Lieve Claes" in page.text and "on be.smart.test" in page.text
    assert "did not answer in time, so their members are missing: fr.smart.test" in page.text
    assert "elsewhere.example" not in page.text
