"""Fixtures of the topic-feed tests: a loopback inbox server for a feed's followers, and a
worker that delivers to it (remote servers are real sockets on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher
from smartnode.outbox.deliver import Deliverer, DeliveryOptions
from smartnode.worker import Worker
from tests.inbox import Fediverse
from tests.outbox.receivers import Receiver, loopback


@pytest.fixture
def private_ok(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_addresses": True})


@pytest.fixture
async def fans() -> AsyncIterator[Receiver]:
    server = Receiver(public_pem="")  # the key is set once the feed exists
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def worker(db, private_ok) -> AsyncIterator[Worker]:
    fetcher = Fetcher(private_ok, transport=httpx.MockTransport(Fediverse().handle))
    deliverer = Deliverer(
        db, private_ok, options=DeliveryOptions(straggler_wait=None, timeout=5.0),
        resolver=loopback,
    )  # fmt: skip
    yield Worker(private_ok, db, fetcher, signer=None, deliverer=deliverer)
    await deliverer.aclose()
    await fetcher.aclose()
