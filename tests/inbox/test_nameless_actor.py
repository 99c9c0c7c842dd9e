"""An actor without preferredUsername (bridges, some servers) delivers through the real inbox
edge and the worker, and is shown by the name derived from its id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.app import create_app
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.storage.models import Activity, Actor, Follow
from smartnode.worker import Worker
from tests.conftest import make_member
from tests.inbox import Fediverse, follow_activity
from tests.inbox.test_receive import post

BRIDGED = "https://bridge.example/ap/did:plc:Zo%C3%AB42"
PRIVATE, PUBLIC = generate_rsa_keypair()


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    doc = fediverse.actor(BRIDGED, pem=PUBLIC, preferredUsername="", name="Zoë (bridged)")
    del doc["preferredUsername"]
    return fediverse


@pytest.fixture
async def node(settings, db, world: Fediverse) -> AsyncIterator[FastAPI]:
    application = create_app(settings, outbound_transport=httpx.MockTransport(world.handle))
    async with application.router.lifespan_context(application):
        yield application


async def test_an_actor_without_preferred_username_follows_a_member_and_is_shown(
    node, db, settings, world
) -> None:
    anna = await make_member(db, settings, "anna")
    body = follow_activity(BRIDGED, anna.uri, f"{BRIDGED}/follows/1")
    transport = httpx.ASGITransport(app=node)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        answer = await post(
            client, "/members/anna/inbox", body, private_pem=PRIVATE, key_id=f"{BRIDGED}#main-key"
        )
        assert answer.status_code == 202, answer.text

        now = datetime.now(UTC)
        async with db.session() as s, s.begin():
            signer = node_signer(await ensure_node_actor(s, settings, now), settings)
        async with world.fetcher(settings) as fetcher:
            worker = Worker(settings, db, fetcher, signer=signer, deliverer=None)
            assert (await worker.run_once(now)).inbox == 1

        followers = (await client.get("/api/smart/v1/actors/anna/followers")).json()
    assert [r["handle"] for r in followers["items"]] == ["@did_plc_Zoe42@bridge.example"]
    async with db.session() as s:
        follow = await s.scalar(select(Follow))
        accept = await s.scalar(select(Activity).where(Activity.activity_type == "Accept"))
        row = await s.scalar(select(Actor).where(Actor.uri == BRIDGED))
    assert follow is not None and follow.state == "accepted"
    assert accept is not None and accept.document["to"] == [BRIDGED]
    assert row is not None and (row.username, row.domain) == ("did_plc_Zoe42", "bridge.example")
    assert row.fetched_at is not None  # resolved by the worker, not only stored from its key
