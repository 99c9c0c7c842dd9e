"""`smartnode demo`: every node adds every other as a peer, as separate operators would (each
node through its own `add_peer`, the code `smartnode peer add` runs, in a shuffled order), then
the demo waits until every direction is accepted and every board is back-filled, and says so.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console

from smartnode.actors.peers import add_peer, peering_progress
from smartnode.actors.records import node_uris
from smartnode.cli_support import now
from smartnode.config import Settings
from smartnode.storage.db import Database

#: How long the demo waits for the federation to complete before it says what is missing.
FEDERATION_TIMEOUT = 120.0
POLL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Progress:
    """Across all nodes: directions expected, accepted, and boards back-filled."""

    expected: int
    accepted: int
    backfilled: int


async def peer_everyone(nodes: Sequence[Settings], rng: random.Random) -> int:
    """Each node adds each other one as a peer, pairs in a shuffled order; how many adds."""
    pairs = [(ours, theirs) for ours in nodes for theirs in nodes if ours is not theirs]
    rng.shuffle(pairs)
    databases = {id(settings): Database(settings) for settings in nodes}
    try:
        for ours, theirs in pairs:
            async with databases[id(ours)].session() as session, session.begin():
                await add_peer(session, theirs.base_url, now(), uris=node_uris(ours))
    finally:
        for db in databases.values():
            await db.dispose()
    return len(pairs)


async def progress(databases: Sequence[Database], expected: int) -> Progress:
    """How far the federation is, read from every node's peers."""
    accepted = backfilled = 0
    for db in databases:
        async with db.session() as session:
            _, ours, filled = await peering_progress(session)
        accepted, backfilled = accepted + ours, backfilled + filled
    return Progress(expected, accepted, backfilled)


def incomplete_line(found: Progress, patience: float) -> str:
    return (
        f"Federation not complete after {patience:.0f} s: {found.accepted} of {found.expected} "
        f"follows accepted, {found.backfilled} boards back-filled; `smartnode peer list` on a "
        "node shows why."
    )


async def await_federation(
    nodes: Sequence[Settings], console: Console, patience: float = FEDERATION_TIMEOUT
) -> Progress:
    """Wait until every follow is accepted and every board back-filled; say so (or what is
    missing after `patience` seconds)."""
    started, expected = time.monotonic(), len(nodes) * (len(nodes) - 1)
    databases = [Database(settings) for settings in nodes]
    said_complete = False
    try:
        while True:
            found = await progress(databases, expected)
            waited = time.monotonic() - started
            if found.accepted == expected and not said_complete:
                console.print(
                    f"Federation complete: {len(nodes)} nodes, {expected} follows accepted "
                    f"in {waited:.0f} s."
                )
                said_complete = True
            if found.backfilled == expected:
                console.print(f"Boards complete: every node lists the others' open calls "
                              f"({waited:.0f} s).")  # fmt: skip
                return found
            if waited > patience:
                console.print(incomplete_line(found, patience))
                return found
            await asyncio.sleep(POLL_SECONDS)
    finally:
        for db in databases:
            await db.dispose()
