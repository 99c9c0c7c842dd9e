"""`kill -9` of a real `smartnode worker` in the middle of a delivery batch: the next worker
sends what the dead one held once its lease passes; every row is delivered, a row is received
at most twice (the dead worker's request may have arrived before it could write), nothing is
lost."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import Delivery
from tests.conftest import TEST_BASE_URL, TEST_DOMAIN, TEST_SECRET, make_member
from tests.faults.hosts import Receiver, receiver
from tests.outbox.receivers import queue_activity
from tests.servers import free_port, started

HOSTS = 4
INBOXES_PER_HOST = 12
#: Each receiver answers this long after a POST arrives: the batch is still in flight at the kill.
SLOW = 1.5
LEASE = 15
PATIENCE = 60.0


def worker_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """This process's environment (minus SMARTNODE_*) and the test node's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTNODE_")}
    return env | {
        "SMARTNODE_DATABASE_URL": database_url,
        "SMARTNODE_DATA_DIR": str(data_dir),
        "SMARTNODE_SECRET_KEY": TEST_SECRET,
        "SMARTNODE_DOMAIN": TEST_DOMAIN,
        "SMARTNODE_BASE_URL": TEST_BASE_URL,
        "SMARTNODE_NODE_NAME": "Smart Sverige",
        "SMARTNODE_ALLOW_PRIVATE_ADDRESSES": "true",
        "SMARTNODE_DELIVERY_LEASE_SECONDS": str(LEASE),
        "SMARTNODE_LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",
    }


async def rows(db: Database) -> list[Delivery]:
    async with db.session() as s:
        return list((await s.scalars(select(Delivery).order_by(Delivery.id))).all())


async def wait_for(condition: object, what: str, db: Database) -> list[Delivery]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while loop.time() < deadline:
        found = await rows(db)
        if condition(found):  # type: ignore[operator]
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} within {PATIENCE:g} s: {[(r.id, r.state) for r in found]}")


def received(receivers: list[Receiver]) -> Counter[str]:
    """How often each inbox URL was POSTed to."""
    return Counter(r.url(path) for r in receivers for path in r.paths())


async def test_killed_worker_batch_is_delivered_by_the_next_worker(
    db: Database, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    anna = await make_member(db, settings, "anna")
    env = worker_env(database_url, tmp_path)
    with ExitStack() as stack:
        receivers = [
            stack.enter_context(receiver(tmp_path, "127.0.0.1", free_port(), delay=SLOW))
            for _ in range(HOSTS)
        ]
        inboxes = [r.url(f"/users/u{n}/inbox") for r in receivers for n in range(INBOXES_PER_HOST)]
        await queue_activity(db, settings, anna, inboxes, at=datetime.now(UTC))

        first = stack.enter_context(started(["worker"], env, tmp_path / "worker-1.log"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE
        while sum(received(receivers).values()) < 2 * HOSTS:  # requests are in flight
            assert first.process.poll() is None, first.fail("the first worker died")
            assert loop.time() < deadline, first.fail("no delivery arrived")
            await asyncio.sleep(0.05)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        at_kill = await rows(db)
        held = {r.inbox_uri for r in at_kill if r.state == "pending" and r.locked_until}
        assert held, "the worker was killed between batches, not in one"
        assert any(r.state == "pending" for r in at_kill)

        second = stack.enter_context(started(["worker"], env, tmp_path / "worker-2.log"))
        done = await wait_for(
            lambda found: all(r.state == "done" for r in found), "every row delivered", db
        )
        assert second.process.poll() is None, second.fail("the second worker died")
        counts = received(receivers)

    assert len(done) == len(inboxes) == HOSTS * INBOXES_PER_HOST
    assert all(r.delivered_at is not None and r.last_status == 202 for r in done)
    assert set(counts) == set(inboxes)  # nothing lost
    assert max(counts.values()) <= 2  # at most one duplicate per row
    duplicated = {inbox for inbox, times in counts.items() if times == 2}
    assert duplicated <= held  # only rows the dead worker held are sent twice
