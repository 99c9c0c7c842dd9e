"""Delivery fan-out: our Deliverer against a plain "RSA-2048 sign + aiohttp POST" ceiling.

One activity to 10,000 followers on 1,000 hosts (shared inboxes: one row per host). Every host
name (h0001.test …) resolves to 127.0.0.1 through a bench-only resolver; sink processes on
loopback ports answer 202 (or, for "dead" hosts, accept and never answer). Prints:

1. signed deliveries/s of the Deliverer (claim, sign, POST, update rows) / the aiohttp ceiling
   (and an httpx figure through GuardedTransport, which is why delivery uses aiohttp);
2. with 10 % of hosts dead (2 s timeout), the healthy hosts' rate / their rate in 1;
3. total time (publish + fan-out + delivery) for 10 → 100 → 1,000 hosts.

    .venv/bin/python -m bench.fanout [--runs 5] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson
import uvloop
from aiohttp.abc import AbstractResolver, ResolveResult
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench._databases import scratch_postgres
from bench._sinks import sinks
from smartnode.actors.inputs import MemberInput
from smartnode.actors.members import create_member
from smartnode.actors.records import node_uris
from smartnode.config import Settings, load_settings
from smartnode.federation.addresses import AddressPolicy
from smartnode.federation.keys import decrypt_private_key, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.federation.transport import GuardedTransport
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import ACTIVITY_JSON, PUBLIC
from smartnode.outbox.deliver import Deliverer, DeliveryOptions
from smartnode.outbox.fanout import expand
from smartnode.outbox.publish import publish
from smartnode.storage.db import Database
from smartnode.storage.migrate import upgrade
from smartnode.storage.models import Activity, Actor, Delivery, Follow, Host, table

HOSTS = 1000
FOLLOWERS_PER_HOST = 10
SINKS = 2
DEAD_SHARE = 0.10
BENCH_TIMEOUT = 2.0
IN_FLIGHT = 512
HTTPX_IN_FLIGHT = 32  # httpx's CPU per request grows with requests in flight


# -- the database ---------------------------------------------------------------------------


async def loopback(host: str, port: int) -> list[str]:
    """Bench-only resolver: every *.test name is 127.0.0.1."""
    return ["127.0.0.1"]


class _LoopbackResolver(AbstractResolver):
    """The same mapping for the plain aiohttp ceiling (no guard: it is the ceiling)."""

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[Any]:
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port,
                              family=socket.AF_INET, proto=0, flags=0)]  # fmt: skip

    async def close(self) -> None:
        return None


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class World:
    """A node with senders whose followers live on the bench hosts."""

    settings: Settings
    db: Database
    senders: dict[str, Actor]


async def make_world(url: str, data_dir: Path) -> World:
    """Migrate, then create the senders and 10 followers per host for each host set."""
    await upgrade(url)
    settings = load_settings(
        domain="se.smart.test", base_url="https://se.smart.test", database_url=url,
        data_dir=data_dir, secret_key="bench-secret-key-not-for-production",
        allow_private_addresses=True,
    )  # fmt: skip
    db = Database(settings)
    senders: dict[str, Actor] = {}
    for name in ("anna", "bert", "s10", "s100", "s1000"):
        async with db.session() as s, s.begin():
            data = MemberInput.model_validate({"username": name, "name": name.title()})
            senders[name] = await create_member(s, settings, data, now())
    return World(settings, db, senders)


async def add_followers(world: World, followed: list[Actor], inboxes: list[str]) -> None:
    """FOLLOWERS_PER_HOST remote followers per shared inbox, following each of `followed`."""
    at, actors = now(), table(Actor)
    rows = []
    for inbox in inboxes:
        base = inbox.rsplit("/", 1)[0]
        for i in range(FOLLOWERS_PER_HOST):
            uri = f"{base}/users/u{i}"
            rows.append({
                "uri": uri, "local": False, "kind": "remote", "ap_type": "Person",
                "username": f"u{i}", "domain": base.split("/")[2], "public_key_pem": "",
                "key_id": f"{uri}#main-key", "inbox_uri": f"{uri}/inbox",
                "shared_inbox_uri": inbox, "created_at": at, "updated_at": at,
            })  # fmt: skip
    async with world.db.session() as s, s.begin():
        await s.execute(insert(actors), rows)
        ids = (await s.scalars(select(Actor.id).where(Actor.local.is_(False)))).all()
        uris = {r["uri"] for r in rows}
        found = await s.execute(select(Actor.id, Actor.uri).where(Actor.id.in_(ids)))
        follower_ids = [i for i, uri in found.all() if uri in uris]
        follows = [{"follower_id": f, "followed_id": who.id, "state": "accepted",
                    "created_at": at} for who in followed for f in follower_ids]  # fmt: skip
        for start in range(0, len(follows), 5000):
            await s.execute(insert(table(Follow)), follows[start : start + 5000])


async def publish_note(
    session: AsyncSession, uris: NodeUris, sender: Actor, at: datetime, n: int = 0
) -> Activity:
    """One public Create{Note} by `sender` to its followers and its fan-out job."""
    return await publish(
        session, uris, sender, "Create", to=[PUBLIC], cc=[f"{sender.uri}/followers"], now=at,
        obj={"id": f"{sender.uri}/notes/{at.timestamp()}-{n}", "type": "Note",
             "attributedTo": sender.uri, "content": "<p>Open call: sound engineer</p>"},
    )  # fmt: skip


async def publish_and_expand(world: World, sender: Actor) -> tuple[int, int]:
    """One public Create to the sender's followers, expanded into delivery rows."""
    uris = node_uris(world.settings)
    at = now()
    async with world.db.session() as s, s.begin():
        activity = await publish_note(s, uris, sender, at)
        rows = await expand(s, uris, activity.id, at)
    return activity.id, rows


async def count_done(world: World, activity_id: int) -> int:
    async with world.db.session() as s:
        found = await s.scalar(
            select(func.count()).where(
                Delivery.activity_id == activity_id, Delivery.state == "done"
            )
        )
    return int(found or 0)


# -- the measurements ------------------------------------------------------------------------


async def deliver_activity(
    world: World, deliverer: Deliverer, sender: Actor, healthy: int
) -> float:
    """Seconds from the first claim until `healthy` rows of a new activity are done."""
    activity_id, _ = await publish_and_expand(world, sender)
    started = time.perf_counter()
    while await count_done(world, activity_id) < healthy:
        await deliverer.run_once(now())
    return time.perf_counter() - started


class AiohttpCeiling:
    """RSA-2048 sign + aiohttp POST with keep-alive, same concurrency, same sinks."""

    def __init__(self, urls: list[str], key: Any, body: bytes) -> None:
        self.urls, self.key, self.body = urls, key, body
        connector = aiohttp.TCPConnector(resolver=_LoopbackResolver(), limit=IN_FLIGHT,
                                         limit_per_host=8, keepalive_timeout=60)  # fmt: skip
        self.session = aiohttp.ClientSession(connector=connector)

    async def post(self, url: str) -> None:
        headers = {"Content-Type": ACTIVITY_JSON}
        headers.update(sign_request_cavage("POST", url, headers, self.body, "k", self.key, now()))
        async with self.session.post(url, data=self.body, headers=headers) as response:
            await response.read()
            assert response.status == 202

    async def rate(self) -> float:
        """Requests/s of one pass over every URL."""
        return await _pass(self.urls, self.post, IN_FLIGHT)


async def httpx_rate(urls: list[str], key: Any, body: bytes) -> float:
    """The same with httpx through GuardedTransport (what fetch.py uses), after a warm-up."""
    transport = GuardedTransport(
        AddressPolicy(allow_private=True), resolver=loopback,
        limits=httpx.Limits(max_connections=2 * HOSTS, max_keepalive_connections=2 * HOSTS),
    )  # fmt: skip
    async with httpx.AsyncClient(transport=transport, trust_env=False) as client:

        async def post(url: str) -> None:
            headers = {"Content-Type": ACTIVITY_JSON}
            headers.update(sign_request_cavage("POST", url, headers, body, "k", key, now()))
            response = await client.post(url, content=body, headers=headers)
            assert response.status_code == 202

        await _pass(urls, post, HTTPX_IN_FLIGHT)
        return await _pass(urls, post, HTTPX_IN_FLIGHT)


async def _pass(urls: list[str], post: Callable[[str], Awaitable[None]], in_flight: int) -> float:
    gate = asyncio.Semaphore(in_flight)

    async def one(url: str) -> None:
        async with gate:
            await post(url)

    started = time.perf_counter()
    await asyncio.gather(*(one(u) for u in urls))
    return len(urls) / (time.perf_counter() - started)


def new_deliverer(world: World) -> Deliverer:
    chosen = DeliveryOptions(timeout=BENCH_TIMEOUT, straggler_wait=0.05, max_in_flight=IN_FLIGHT)
    return Deliverer(world.db, world.settings, options=chosen, resolver=loopback)


@dataclass
class Figures:
    """Per-round rates (req/s or rows/s) of the three contenders."""

    ceiling: list[float]
    ours: list[float]
    dead: list[float]
    dead_rows: dict[str, int]


async def rounds(world: World, ceiling: AiohttpCeiling, runs: int) -> Figures:
    """Rounds of: a ceiling pass, one activity to healthy hosts, one to 10 %-dead hosts."""
    healthy, mixed = new_deliverer(world), new_deliverer(world)
    alive = HOSTS - int(HOSTS * DEAD_SHARE)
    anna, bert = world.senders["anna"], world.senders["bert"]
    figures = Figures([], [], [], {})
    try:
        await ceiling.rate()  # warm-up: every connection opened once
        await deliver_activity(world, healthy, anna, HOSTS)
        await deliver_activity(world, mixed, bert, alive)
        for _ in range(runs):
            figures.ceiling.append(await ceiling.rate())
            figures.ours.append(HOSTS / await deliver_activity(world, healthy, anna, HOSTS))
            figures.dead.append(alive / await deliver_activity(world, mixed, bert, alive))
        await mixed.drain(now())
    finally:
        await healthy.aclose()
        await mixed.aclose()
    figures.dead_rows = await _dead_rows(world)
    return figures


async def _dead_rows(world: World) -> dict[str, int]:
    """What became of the rows to dead hosts: timed out, held by the breaker, never claimed."""
    async with world.db.session() as s:
        found = await s.execute(
            select(Delivery.last_error, func.count())
            .where(Delivery.host.like("d%"))
            .group_by(Delivery.last_error)
        )
        tally = {str(error or ""): int(n) for error, n in found.all()}
        return {
            "timed out": sum(n for e, n in tally.items() if e.startswith("no answer")),
            "held by the breaker": sum(n for e, n in tally.items() if "breaker" in e),
            "never sent (host in trouble, breaker open)": tally.get("", 0),
            "dead hosts with an open breaker": int(
                await s.scalar(
                    select(func.count()).where(
                        Host.host.like("d%"), Host.breaker_until.is_not(None)
                    )
                )
                or 0
            ),
        }


async def scaling(world: World) -> list[tuple[int, int, float]]:
    """Publish + fan-out + delivery of one activity for 10, 100 and 1,000 hosts."""
    deliverer = new_deliverer(world)
    results = []
    try:
        for hosts in (10, 100, 1000):
            sender = world.senders[f"s{hosts}"]
            started = time.perf_counter()
            activity_id, rows = await publish_and_expand(world, sender)
            while await count_done(world, activity_id) < rows:
                await deliverer.run_once(now())
            results.append((hosts, rows, time.perf_counter() - started))
    finally:
        await deliverer.aclose()
    return results


# -- main ----------------------------------------------------------------------------------


async def bench(url: str, data_dir: Path, runs: int) -> None:
    world = await make_world(url, data_dir)
    with sinks(SINKS, silent=1) as running:
        ports, (silent,) = running.answering, running.silent
        healthy_inboxes = [f"http://h{i:04d}.test:{ports[i % SINKS]}/inbox" for i in range(HOSTS)]
        dead_after = HOSTS - int(HOSTS * DEAD_SHARE)
        mixed = [
            f"http://d{i:04d}.test:{silent}/inbox" if i >= dead_after
            else f"http://g{i:04d}.test:{ports[i % SINKS]}/inbox"
            for i in range(HOSTS)
        ]  # fmt: skip
        s = world.senders
        await add_followers(world, [s["anna"], s["s1000"]], healthy_inboxes)
        await add_followers(world, [s["bert"]], mixed)
        await _follow_subset(world, s["s10"], healthy_inboxes[:10])
        await _follow_subset(world, s["s100"], healthy_inboxes[:100])
        key, body = await _sign_material(world)
        scale = await scaling(world)
        ceiling = AiohttpCeiling(healthy_inboxes, key, body)
        try:
            figures = await rounds(world, ceiling, runs)
        finally:
            await ceiling.session.close()
        hx = await httpx_rate(healthy_inboxes, key, body)
    await world.db.dispose()
    report(url, runs, figures, hx, scale)


async def _follow_subset(world: World, sender: Actor, inboxes: list[str]) -> None:
    """`sender` gets the followers already living on these inboxes."""
    at = now()
    async with world.db.session() as s, s.begin():
        ids = (await s.scalars(select(Actor.id).where(Actor.shared_inbox_uri.in_(inboxes)))).all()
        await s.execute(insert(table(Follow)), [
            {"follower_id": i, "followed_id": sender.id, "state": "accepted", "created_at": at}
            for i in ids
        ])  # fmt: skip


async def _sign_material(world: World) -> tuple[Any, bytes]:
    """The sender's key object and a Create of the usual size, for the ceilings."""
    async with world.db.session() as s:
        anna = await s.get(Actor, world.senders["anna"].id)
    assert anna is not None and anna.private_key_enc
    key = load_private_key(decrypt_private_key(anna.private_key_enc, world.settings.secret()))
    document = {
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
        "id": f"{anna.uri}/activities/1", "actor": anna.uri, "to": [PUBLIC],
        "cc": [f"{anna.uri}/followers"], "published": "2026-11-26T12:00:00Z",
        "object": {"id": f"{anna.uri}/notes/1", "type": "Note", "attributedTo": anna.uri,
                   "content": "<p>Open call: sound engineer</p>"},
    }  # fmt: skip
    return key, orjson.dumps(document)


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):>7,.0f}/s ({min(values):,.0f}-{max(values):,.0f})"


def report(url: str, runs: int, f: Figures, hx: float, scale: list[tuple[int, int, float]]) -> None:
    """Print the figures and the ratios (medians of per-round ratios; min-max in brackets)."""
    database = url.split(":", 1)[0]
    mine = [o / c for o, c in zip(f.ours, f.ceiling, strict=True)]
    kept = [d / o for d, o in zip(f.dead, f.ours, strict=True)]
    print(f"\nDelivery fan-out: 1 activity -> {HOSTS * FOLLOWERS_PER_HOST:,} followers on "
          f"{HOSTS:,} hosts ({HOSTS:,} rows), {database}, {IN_FLIGHT} in flight, "
          f"{runs} rounds")  # fmt: skip
    print(f"  ceiling: RSA-2048 sign + aiohttp POST (keep-alive)  {_cell(f.ceiling)}")
    print(f"  Deliverer: claim, sign, POST, update rows           {_cell(f.ours)}"
          f"  ratio {statistics.median(mine):.2f}  (target >= 0.5)")  # fmt: skip
    print(f"  10 % of hosts dead ({BENCH_TIMEOUT:g} s timeout), healthy rows  {_cell(f.dead)}"
          f"  kept {statistics.median(kept):.2f} of the rate  (target >= 0.8)")  # fmt: skip
    print("    rows to dead hosts: " + ", ".join(f"{n} {what}" for what, n in f.dead_rows.items()))
    print(f"  httpx: sign + POST through GuardedTransport, {HTTPX_IN_FLIGHT} in flight "
          f"{hx:,.0f}/s  ratio {hx / statistics.median(f.ceiling):.2f}")  # fmt: skip
    for hosts, rows, seconds in scale:
        print(f"  {hosts:>5} hosts ({hosts * FOLLOWERS_PER_HOST:>6,} followers, {rows:>5} rows): "
              f"publish + fan-out + delivery {seconds * 1000:>6,.0f} ms")  # fmt: skip


PG_DATABASE = "test_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (medians over them)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument(
        "--postgres",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432",
        help=f"PostgreSQL server (database {PG_DATABASE} is created and dropped)",
    )
    args = parser.parse_args()
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="smartnode-fanout-") as tmp:
            uvloop.run(bench(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp), args.runs))
    if args.database in ("postgresql", "both"):
        url = uvloop.run(scratch_postgres(args.postgres, PG_DATABASE, create=True))
        try:
            with tempfile.TemporaryDirectory(prefix="smartnode-fanout-") as tmp:
                uvloop.run(bench(url, Path(tmp), args.runs))
        finally:
            uvloop.run(scratch_postgres(args.postgres, PG_DATABASE, create=False))


if __name__ == "__main__":
    main()
