"""`smartnode peer add/list/remove`: add sends our pending Follow again, list shows both
directions' states with when they changed and the last error, bad input gets one line."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.storage.models import Activity, Peer
from smartnode.worker import Worker
from tests.actors.test_peers import Network
from tests.conftest import Invoke, query

WIDE = {"COLUMNS": "250"}


async def test_peer_list_shows_both_directions_when_they_changed_and_the_last_error(
    smartnode: Invoke, db, settings, database_url: str
) -> None:
    for base_url in ("https://be.smart.coop", "https://fr.smart.coop"):  # the CLI runs its own loop
        assert (await asyncio.to_thread(smartnode, "peer", "add", base_url)).exit_code == 0
    async with db.session() as session, session.begin():
        node = await ensure_node_actor(session, settings, datetime.now(UTC))
    network = Network()
    network.down.add("fr.smart.coop")
    network.actor("https://be.smart.coop/actor", type="Application")
    worker = Worker(settings, db, network.fetcher(settings), signer=node_signer(node, settings),
                    deliverer=None, rng=random.Random(1))  # fmt: skip
    await worker.run_once(datetime.now(UTC))

    listed = await asyncio.to_thread(smartnode, "peer", "list", **WIDE)

    assert listed.exit_code == 0, listed.output
    [be] = [line for line in listed.stdout.splitlines() if "be.smart.coop" in line]
    [fr] = [line for line in listed.stdout.splitlines() if "fr.smart.coop" in line]
    assert "pending" in be and "not asked" in be and "ConnectError" not in be
    assert "unreachable" in fr and "ConnectError" in fr
    async with db.session() as session:
        changed = await session.scalar(
            select(Peer.ours_changed_at).where(Peer.host == "fr.smart.coop")
        )
    assert changed.strftime("%Y-%m-%d %H:%M:%S UTC") in fr
    assert "we follow it" in listed.stdout and "it follows us" in listed.stdout


def test_peer_add_says_where_both_follows_stand(smartnode: Invoke, database_url: str) -> None:
    first = smartnode("peer", "add", "https://be.smart.coop")
    assert first.exit_code == 0 and "Trusted https://be.smart.coop/actor." in first.stdout
    assert "Our follow of it: pending; its follow of us: not asked." in first.stdout
    assert query(database_url, select(Activity.activity_type)) == []  # the worker sends it


def test_peer_add_refuses_this_node_and_garbage_in_one_line(smartnode: Invoke) -> None:
    itself = smartnode("peer", "add", "https://se.smart.test")
    assert itself.exit_code == 1 and "is this node itself" in itself.output
    assert "Traceback" not in itself.output
    bad = smartnode("peer", "add", "ftp://be.smart.coop")
    assert bad.exit_code == 1 and "base URL" in bad.output and "Traceback" not in bad.output
