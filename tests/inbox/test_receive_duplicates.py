"""Duplicates at the edge: stored once per inbox, whoever replays the same bytes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage
from tests.conftest import make_member
from tests.inbox import Fediverse, count
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post

EVE = "https://mastodon.example/users/eve"
EVE_PRIVATE, EVE_PUBLIC = generate_rsa_keypair()


@pytest.fixture
def fediverse() -> Fediverse:
    world = Fediverse()
    world.actor(ALICE, pem=ALICE_PUBLIC)
    world.actor(EVE, pem=EVE_PUBLIC)
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


async def test_the_same_bytes_signed_by_another_actor_are_still_refused(
    inbox, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    body = json.dumps(follow(anna.uri)).encode()
    assert (await post(inbox, "/inbox", body)).status_code == 202
    eve: dict[str, str] = {"private_pem": EVE_PRIVATE, "key_id": f"{EVE}#main-key"}
    assert (await post(inbox, "/inbox", follow(anna.uri, actor=EVE), **eve)).status_code == 202
    replayed = await post(inbox, "/inbox", body, **eve)  # Alice's bytes, Eve's signature
    assert replayed.status_code == 401 and "not by" in replayed.json()["error"]
    again = await post(inbox, "/inbox", body)  # Alice's own retry
    assert again.status_code == 202
    assert await count(db, InboxMessage) == 2


async def test_the_same_bytes_to_another_inbox_are_stored_for_it(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    body = json.dumps(follow(anna.uri)).encode()
    for path in ("/inbox", "/members/anna/inbox", "/inbox", "/members/anna/inbox"):
        assert (await post(inbox, path, body)).status_code == 202
    async with db.session() as s:
        inboxes = sorted((await s.scalars(select(InboxMessage.inbox))).all())
    assert inboxes == [f"{settings.base_url}/inbox", f"{anna.uri}/inbox"]
