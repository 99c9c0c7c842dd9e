"""Forgeries signed for a key we hold: once the host's refetch budget is spent (or the key's
last lookup failed), refused before the body is read, without spending the claimed host's
rate limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.inbox.keys import REFETCHES_PER_MINUTE
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage
from tests.conftest import make_member
from tests.inbox import Fediverse, count
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post

FORGER, _ = generate_rsa_keypair()
LIMIT = REFETCHES_PER_MINUTE + 3


@pytest.fixture
def fediverse() -> Fediverse:
    world = Fediverse()
    world.actor(ALICE, pem=ALICE_PUBLIC)
    return world


@pytest.fixture
async def limited(
    settings: Settings, db: Database, fediverse: Fediverse
) -> AsyncIterator[httpx.AsyncClient]:
    """A node that takes LIMIT POSTs a minute per host."""
    strict = settings.model_copy(update={"inbox_rate_per_minute": LIMIT})
    application = create_app(strict, outbound_transport=httpx.MockTransport(fediverse.handle))
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url=settings.base_url
        ) as client,
    ):
        yield client


async def test_a_flood_of_forgeries_leaves_the_claimed_hosts_rate_limit_alone(
    limited, db, settings, fediverse
) -> None:
    anna = await make_member(db, settings, "anna")
    assert (await post(limited, "/inbox", follow(anna.uri, n=1))).status_code == 202
    for n in range(2, 32):
        forged = await post(limited, "/inbox", follow(anna.uri, n=n), private_pem=FORGER)
        assert forged.status_code == 401
    # the first contact, then one refetch (a rotated key?) per forgery within the budget
    assert fediverse.fetched() == [ALICE] * (1 + REFETCHES_PER_MINUTE)
    honest = [await post(limited, "/inbox", follow(anna.uri, n=100 + n)) for n in range(3)]
    assert [r.status_code for r in honest] == [202, 202, 429]  # 1 + 10 + 2 = LIMIT
    assert await count(db, InboxMessage) == 3


async def test_after_a_failed_refetch_a_forgery_is_refused_before_its_body_is_parsed(
    limited, db, settings, fediverse
) -> None:
    anna = await make_member(db, settings, "anna")
    assert (await post(limited, "/inbox", follow(anna.uri))).status_code == 202
    fediverse.serve(ALICE, {"error": "down"}, status=503)
    forged = await post(limited, "/inbox", follow(anna.uri, n=2), private_pem=FORGER)
    assert forged.status_code == 401  # refetched (a rotated key?), failed: remembered
    malformed = b'{"id": "' + b"[" * 100
    assert (await post(limited, "/inbox", malformed, private_pem=FORGER)).status_code == 401
    assert (await post(limited, "/inbox", malformed)).status_code == 400  # Alice's own key
    assert fediverse.fetched() == [ALICE, ALICE]
    assert await count(db, InboxMessage) == 1


async def test_a_held_key_that_verifies_still_meets_the_document_checks(
    limited, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    assert (await post(limited, "/inbox", follow(anna.uri))).status_code == 202
    doc = {**follow(anna.uri, n=2), "@graph": []}
    assert (await post(limited, "/inbox", json.dumps(doc).encode())).status_code == 400
    assert await count(db, InboxMessage) == 1
