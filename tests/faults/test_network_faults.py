"""Network faults between real hosts: five receivers, each in a network namespace of its own on a
veth pair, with a fault on its link (tests/faults/netns.py says how each is made):

- healthy;
- latency: every packet it sends held 2 s (NFQUEUE; the kernel has no netem);
- lossy: 20 % of the packets it sends and of those it receives dropped;
- silent: accepts TCP and never answers;
- reset: accepts TCP, then resets the connection when the request arrives.

The node's Deliverer sends one activity to all of them. The healthy host gets every delivery,
once each, while the silent host's requests are all still open (none has reached its timeout);
the silent and resetting hosts end in backoff with their breakers open, and a second activity
is not even tried on them while the others get it; the slow and lossy hosts get everything
(TCP retransmits what is lost; an attempt that times out is retried when it is due)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from smartnode.config import Settings
from smartnode.federation.delivery import BREAKER_THRESHOLD, BREAKER_TTL
from smartnode.outbox.deliver import Deliverer, DeliveryOptions
from smartnode.storage.db import Database
from smartnode.storage.models import Delivery, Host
from tests.conftest import make_member
from tests.faults.hosts import Receiver, receiver
from tests.faults.netns import NetHost, delayed, leftovers, lose, net_hosts, reset_requests
from tests.outbox.receivers import queue_activity

PORT = 8080
KINDS = ("healthy", "latency", "lossy", "silent", "reset")
HEALTHY = 24  # inboxes of the first activity on the healthy host
FAULTY = 6  # ... on each other host: more than it takes to open a breaker
SECOND = 3  # inboxes of the second activity on each host
LATENCY = 2.0
LOSS = 0.2
TIMEOUT = 10.0  # one POST, connect to last byte: the production default
ROUNDS = 100  # run_once calls to serve the healthy host (each waits half a second at most)


async def rows(db: Database, host: Receiver) -> list[Delivery]:
    async with db.session() as s:
        found = await s.scalars(
            select(Delivery).where(Delivery.host == host.server).order_by(Delivery.id)
        )
        return list(found.all())


async def host_row(db: Database, host: Receiver) -> Host | None:
    async with db.session() as s:
        return await s.get(Host, host.server)


async def all_done(db: Database, *hosts: Receiver) -> bool:
    found = [row for host in hosts for row in await rows(db, host)]
    return all(row.state == "done" for row in found)


def faulty_host(kind: str, net: NetHost, stack: ExitStack, folder: Path) -> Receiver:
    """The receiver of this kind in its namespace, its link's fault in place."""
    if kind == "latency":
        stack.enter_context(delayed(net, LATENCY, folder))
    elif kind == "lossy":
        lose(net, LOSS)
    elif kind == "reset":
        reset_requests(net, PORT)
    running = receiver(folder, net.address, PORT, silent=kind == "silent", inside=net.command())
    return stack.enter_context(running)


async def run_until(
    deliverer: Deliverer, now: datetime, done: Callable[[], Awaitable[bool]], what: str
) -> None:
    for _ in range(ROUNDS):
        await deliverer.run_once(now)
        if await done():
            return
    raise AssertionError(f"{what} after {ROUNDS} rounds")


async def assert_backing_off(db: Database, host: Receiver, now: datetime) -> None:
    """Every row of the first activity tried once and due again later; the host's breaker
    open and its failure noted."""
    found = await rows(db, host)
    assert len(found) == FAULTY
    for row in found:
        assert (row.state, row.attempts, row.locked_until) == ("pending", 1, None)
        assert row.run_at > now and row.last_error
    stored = await host_row(db, host)
    assert stored is not None and stored.last_success_at is None
    assert stored.failure_days == [now.date().isoformat()]
    assert stored.breaker_until is not None and now < stored.breaker_until <= now + BREAKER_TTL


async def test_healthy_hosts_keep_their_rate_while_faulty_hosts_back_off(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    assert FAULTY >= BREAKER_THRESHOLD
    anna = await make_member(db, settings, "anna")
    node = settings.model_copy(update={"allow_private_addresses": True})
    with ExitStack() as stack:
        nets = stack.enter_context(net_hosts(len(KINDS)))
        hosts = {kind: faulty_host(kind, net, stack, tmp_path) for kind, net in zip(KINDS, nets)}
        healthy, latency, lossy = hosts["healthy"], hosts["latency"], hosts["lossy"]
        silent, reset = hosts["silent"], hosts["reset"]
        first = [healthy.url(f"/users/u{n}/inbox") for n in range(HEALTHY)]
        first += [h.url(f"/users/u{n}/inbox") for h in hosts.values() if h is not healthy
                  for n in range(FAULTY)]  # fmt: skip
        start = datetime.now(UTC)
        await queue_activity(db, settings, anna, first, at=start)
        deliverer = Deliverer(db, node, options=DeliveryOptions(timeout=TIMEOUT))
        try:
            await run_until(deliverer, start, lambda: all_done(db, healthy), "healthy unserved")
            # Served while every request to the silent host is still open: none has timed out.
            open_requests = await rows(db, silent)
            assert [(r.state, r.attempts, r.last_error) for r in open_requests] == [
                ("pending", 1, None)
            ] * FAULTY
            assert all(r.locked_until is not None for r in open_requests)
            assert silent.events("closed") == 0  # our client has given up on none
            served_first = Counter(healthy.paths())

            await deliverer.drain(start)  # the silent host's requests time out
            for bad in (silent, reset):
                await assert_backing_off(db, bad, start)
            assert {r.last_error for r in await rows(db, silent)} == {"no answer within 10 s"}
            assert all("Connection reset" in (r.last_error or "") for r in await rows(db, reset))
            accepted = silent.events("accepted")
            assert accepted == FAULTY  # one connection per row, all taken, none answered

            # A second activity to every host; the clock moves on a minute at a time (retries
            # of the slow and lossy hosts come due; the breakers stay open for ten).
            second = [h.url(f"/users/u{n}/second/inbox") for h in hosts.values()
                      for n in range(SECOND)]  # fmt: skip
            await queue_activity(db, settings, anna, second, at=start + timedelta(minutes=1))
            for minute in range(1, 10):
                later = start + timedelta(minutes=minute)
                await deliverer.run_once(later)
                await deliverer.drain(later)
                if await all_done(db, healthy, latency, lossy):
                    break
        finally:
            await deliverer.aclose()
        links = dict(zip(KINDS, nets))
        dropped, resets = links["lossy"].matched("DROP"), links["reset"].matched("REJECT")
        held = links["latency"].matched("NFQUEUE")
        received = {kind: Counter(host.paths()) for kind, host in hosts.items()}
        assert silent.events("accepted") == accepted  # not one connection more
    assert leftovers(nets) == []

    assert served_first == Counter(f"/users/u{n}/inbox" for n in range(HEALTHY))
    assert await all_done(db, healthy, latency, lossy)
    # The healthy host got everything once; the slow and lossy hosts everything, at least once
    # (when an answer is lost, the request is made again).
    assert set(received["healthy"].values()) == {1}
    assert len(received["healthy"]) == HEALTHY + SECOND
    assert len(received["latency"]) == len(received["lossy"]) == FAULTY + SECOND
    # The silent and resetting hosts: the first activity's rows in backoff (as checked above),
    # the second's never tried while their breakers are open; no request reached them.
    for bad in (silent, reset):
        tried, untried = (await rows(db, bad))[:FAULTY], (await rows(db, bad))[FAULTY:]
        assert {(r.state, r.attempts) for r in tried} == {("pending", 1)}
        assert [(r.state, r.attempts) for r in untried] == [("pending", 0)] * SECOND
    assert received["silent"] == received["reset"] == Counter()
    ok = await host_row(db, healthy)
    assert ok is not None and ok.last_success_at is not None and ok.failure_days == []
    assert ok.breaker_until is None
    # The faults were on the wire: packets dropped, requests reset, packets held.
    assert dropped > 0 and resets >= FAULTY and held > 0
