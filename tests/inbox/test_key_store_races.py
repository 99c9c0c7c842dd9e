"""The key store when another process stores the same new actor at the same moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from smartnode.actors.remote import remote_actor_from_ap
from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher
from smartnode.federation.signatures import load_public_key_pem
from smartnode.inbox.keys import ActorKey, KeyStore
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from tests.inbox import Fediverse

ALICE = "https://mastodon.example/users/alice"


async def test_two_edges_storing_one_new_actor_at_once_both_succeed(
    settings: Settings, db: Database
) -> None:
    now = datetime.now(UTC)
    # Two API processes (two key stores) verify first requests of the same new actor at once:
    # both read "no such actor", one inserts first; the other must refresh that row, not fail
    # the sender's request with a unique-key error.
    document = Fediverse().actor(ALICE)
    data = remote_actor_from_ap(document)
    key = ActorKey(data.key_id, data.uri, load_public_key_pem(data.public_key_pem), data)
    async with Fetcher(settings) as fetcher:  # never used: the key was fetched already
        stores = [KeyStore(db, fetcher, None) for _ in range(2)]
        outcomes = await asyncio.gather(
            *(store.remember(key, now) for store in stores), return_exceptions=True
        )

    assert outcomes == [None, None]
    for store in stores:
        assert await store.cached(data.key_id) is not None
    async with db.session() as session:
        rows = await session.scalar(select(func.count()).where(Actor.uri == ALICE))
        stored = await session.scalar(select(Actor).where(Actor.uri == ALICE))
    assert rows == 1
    assert stored is not None and stored.key_id == data.key_id and not stored.local
