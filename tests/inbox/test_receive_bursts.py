"""The inbox edge under concurrent POSTs: one key fetch, one stored actor, no 500s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, InboxMessage, KeyFailure
from tests.conftest import make_member
from tests.inbox import Fediverse, count
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post

BURST = 12


@pytest.fixture
def fediverse() -> Fediverse:
    world = Fediverse()
    world.actor(ALICE, pem=ALICE_PUBLIC)
    return world


@pytest.fixture
async def inbox(
    settings: Settings, db: Database, fediverse: Fediverse
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, outbound_transport=httpx.MockTransport(fediverse.handle))
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url=settings.base_url
        ) as client,
    ):
        yield client


async def burst(inbox: httpx.AsyncClient, docs: list[dict], **options: object) -> list[int]:
    responses = await asyncio.gather(*(post(inbox, "/inbox", doc, **options) for doc in docs))
    return [response.status_code for response in responses]


async def test_burst_from_a_new_actor_fetches_its_key_once(inbox, db, settings, fediverse) -> None:
    anna = await make_member(db, settings, "anna")
    codes = await burst(inbox, [follow(anna.uri, n=n) for n in range(BURST)])
    assert codes == [202] * BURST
    assert fediverse.fetched() == [ALICE]
    async with db.session() as s:
        actors = (await s.scalars(select(Actor).where(Actor.uri == ALICE))).all()
    assert len(actors) == 1 and actors[0].public_key_pem == ALICE_PUBLIC
    assert await count(db, InboxMessage) == BURST


async def test_burst_of_forgeries_refetches_once_and_answers_401(
    inbox, db, settings, fediverse
) -> None:
    anna = await make_member(db, settings, "anna")
    assert (await post(inbox, "/inbox", follow(anna.uri))).status_code == 202
    fediverse.serve(ALICE, {"error": "gone for now"}, status=503)  # the refetch will fail
    forger, _ = generate_rsa_keypair()
    docs = [follow(anna.uri, n=n) for n in range(2, BURST + 2)]
    assert await burst(inbox, docs, private_pem=forger) == [401] * BURST
    assert fediverse.fetched() == [ALICE, ALICE]  # the first fetch, then one shared refetch
    assert await count(db, KeyFailure) == 1
    assert await count(db, InboxMessage) == 1


async def test_burst_from_a_rotated_key_stores_the_new_key_once(
    inbox, db, settings, fediverse
) -> None:
    anna = await make_member(db, settings, "anna")
    assert (await post(inbox, "/inbox", follow(anna.uri))).status_code == 202
    new_private, new_public = generate_rsa_keypair()
    fediverse.actor(ALICE, pem=new_public)
    docs = [follow(anna.uri, n=n) for n in range(2, BURST + 2)]
    assert await burst(inbox, docs, private_pem=new_private) == [202] * BURST
    assert fediverse.fetched() == [ALICE, ALICE]
    async with db.session() as s:
        alice = await s.scalar(select(Actor).where(Actor.uri == ALICE))
    assert alice is not None and alice.public_key_pem == new_public
    assert await count(db, InboxMessage) == BURST + 1


async def test_forgeries_naming_a_new_actor_fetch_it_once(inbox, db, settings, fediverse) -> None:
    anna = await make_member(db, settings, "anna")
    forger, _ = generate_rsa_keypair()
    for n in range(3):
        response = await post(inbox, "/inbox", follow(anna.uri, n=n), private_pem=forger)
        assert response.status_code == 401
    assert fediverse.fetched() == [ALICE]  # later first-contact lookups reuse the fresh fetch
    async with db.session() as s:
        assert await s.scalar(select(Actor.id).where(Actor.uri == ALICE)) is None  # never verified
    assert await count(db, InboxMessage) == 0
