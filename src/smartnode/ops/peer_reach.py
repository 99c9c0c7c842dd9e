"""`smartnode doctor`'s peer lines: can this node reach each trusted peer's node actor?

Each peer (the `peers` rows and SMARTNODE_TRUSTED_PEERS) is asked for its node actor through
the one safe fetcher (no private addresses unless allowed, size and redirect caps) with a short
deadline, all at once: one line each, reachable, slow or unreachable, with what to do. A peer's
trouble is a warning: this node is fine, its deliveries there wait and retry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from smartnode.actors.peers import peer_actor_uri
from smartnode.config import Settings
from smartnode.errors import SmartnodeError
from smartnode.federation.fetch import Fetcher, FetchTimeout, HTTPStatusError
from smartnode.storage.db import Database
from smartnode.storage.models import Peer

#: How long a peer is given to answer, and past how many seconds its answer is slow.
PEER_DEADLINE = 5.0
SLOW_AFTER = 2.0
OK, WARN = "OK", "WARN"


async def peer_actors(db: Database, settings: Settings) -> dict[str, str]:
    """host → node actor URI of every trusted peer, the table's and the settings'."""
    async with db.session() as session:
        rows = (await session.execute(select(Peer.host, Peer.actor_uri))).all()
    found = {host: uri for host, uri in rows}
    for base_url in settings.trusted_peers:
        uri = peer_actor_uri(base_url)
        found.setdefault(urlsplit(uri).netloc, uri)
    return dict(sorted(found.items()))


async def peer_reachability(
    db: Database, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> list[tuple[str, str, str]]:
    """(name, level, message) per peer, asked at once within PEER_DEADLINE."""
    peers = await peer_actors(db, settings)
    if not peers:
        return []
    timeout = httpx.Timeout(PEER_DEADLINE, connect=PEER_DEADLINE)
    async with Fetcher(settings, transport=transport, timeout=timeout,
                       deadline=PEER_DEADLINE) as fetcher:  # fmt: skip
        asks: list[Awaitable[tuple[str, str, str]]] = [
            _ask(fetcher, host, uri) for host, uri in peers.items()
        ]
        return list(await asyncio.gather(*asks))


async def _ask(fetcher: Fetcher, host: str, uri: str) -> tuple[str, str, str]:
    name = f"peer {host}"
    started = time.monotonic()
    try:
        await fetcher.fetch_json(uri)
    except FetchTimeout:
        return (
            name,
            WARN,
            (
                f"unreachable: no answer within {PEER_DEADLINE:g} s; deliveries to it wait and "
                "retry. Is it down? Ask its operator, or check this host's outbound network"
            ),
        )
    except HTTPStatusError as error:
        return name, WARN, _refused(error.status)
    except SmartnodeError as error:
        return (
            name,
            WARN,
            (
                f"unreachable ({error.message}): check its address (`smartnode peer list`) and "
                "this host's DNS and outbound network; ask its operator if it persists"
            ),
        )
    seconds = time.monotonic() - started
    if seconds > SLOW_AFTER:
        return (
            name,
            WARN,
            (
                f"slow: its node actor took {seconds:.1f} s; deliveries to it will lag. "
                "Watch `smartnode deliveries` and tell its operator"
            ),
        )
    return name, OK, f"reachable: its node actor answered in {seconds:.1f} s"


def _refused(status: int) -> str:
    return (
        f"unreachable: its node actor answered {status}; is it a smartnode node at that "
        "address? Check `smartnode peer list` and ask its operator"
    )
