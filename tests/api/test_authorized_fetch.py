"""Authorized fetch: documents need a signed GET, except the node actor and the HTML pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.storage.models import DomainBlock
from tests.conftest import make_member
from tests.inbox import Fediverse

ALICE = "https://mastodon.example/users/alice"
PRIVATE, PUBLIC = generate_rsa_keypair()
AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def strict(
    settings: Settings, db
) -> AsyncIterator[tuple[httpx.AsyncClient, Fediverse, FastAPI]]:
    world = Fediverse()
    world.actor(ALICE, pem=PUBLIC)
    locked = settings.model_copy(update={"authorized_fetch": True})
    app: FastAPI = create_app(locked, outbound_transport=httpx.MockTransport(world.handle))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=settings.base_url
        ) as client,
    ):
        yield client, world, app


def signed_get(url: str) -> dict[str, str]:
    added = sign_request_cavage(
        "GET", url, AP, None, f"{ALICE}#main-key", load_private_key(PRIVATE), datetime.now(UTC)
    )
    return {**AP, **added}


async def test_unsigned_reads_are_refused_but_node_actor_and_pages_are_public(
    strict, db, settings
) -> None:
    client, _, _ = strict
    await make_member(db, settings, "anna")
    assert (await client.get("/members/anna", headers=AP)).status_code == 401
    assert (await client.get("/members/anna/followers", headers=AP)).status_code == 401
    assert (await client.get("/actor", headers=AP)).status_code == 200
    page = await client.get("/members/anna", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


async def test_signed_reads_are_served(strict, db, settings) -> None:
    client, world, _ = strict
    await make_member(db, settings, "anna")
    url = f"{settings.base_url}/members/anna"
    response = await client.get("/members/anna", headers=signed_get(url))
    assert response.status_code == 200 and response.json()["id"] == url
    followers = await client.get("/members/anna/followers", headers=signed_get(f"{url}/followers"))
    assert followers.status_code == 200
    assert [str(r.url) for r in world.requests] == [ALICE]  # the key was fetched once


async def test_a_forged_or_blocked_signature_is_refused(strict, db, settings) -> None:
    client, _, app = strict
    await make_member(db, settings, "anna")
    url = f"{settings.base_url}/members/anna"
    wrong_path = signed_get(f"{settings.base_url}/members/other")
    assert (await client.get("/members/anna", headers=wrong_path)).status_code == 401
    async with db.session() as s, s.begin():
        s.add(DomainBlock(domain="mastodon.example", reason="", created_at=datetime.now(UTC)))
    app.state.inbox.blocks.invalidate()  # as `smartnode block add` would after 30 s
    assert (await client.get("/members/anna", headers=signed_get(url))).status_code == 403
