"""Two seeded nodes for the browser: se and be, each `smartnode serve` (with its in-process
worker) on http://localhost:PORT with its own SQLite file, peered through `smartnode peer add`
on both sides, as two operators would.

localhost, not 127.0.0.1: WebAuthn refuses an IP address as the relying party. Both nodes
share the host `localhost`, so their cookies would share one jar: each member gets a browser
context of their own and stays on their own node.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.nodes import poll
from tests.servers import Server, check_cli, free_port, smartnode_server

#: Federation (deliveries, inbox processing) on a busy 2-core machine: generous.
DEADLINE = 60.0
COUNTRIES = {"se": "Smart Sverige", "be": "Smart Belgium"}


@dataclass
class SeededNode:
    """One served node: its addresses, its CLI, and its database read-only."""

    name: str
    server: Server

    @property
    def host(self) -> str:
        return f"localhost:{self.server.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def path_of(self, url: str) -> str:
        """The path of one of this node's URLs (without query or fragment)."""
        assert url.startswith(self.base_url), f"{url} is not on {self.name}"
        return url.removeprefix(self.base_url).split("?")[0].split("#")[0]

    def cli(self, *args: str) -> str:
        return check_cli(args, self.server.env)

    def invitation_path(self, username: str) -> str:
        """A fresh one-time invitation path, as `smartnode member invite` prints it."""
        found = re.search(r"/invitation/[A-Za-z0-9_\-]+", self.cli("member", "invite", username))
        assert found, f"no invitation link for {username}"
        return found.group(0)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A query on this node's SQLite file, opened read-only."""
        uri = f"file:{self.server.data_dir / 'smartnode.db'}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()

    def peer_states(self, other: SeededNode) -> tuple[str, str] | None:
        """(our follow of its node actor, its follow of ours) as this node keeps them."""
        found = self.rows(
            "SELECT ours_state, theirs_state FROM peers WHERE host = ?", (other.host,)
        )
        return (found[0][0], found[0][1]) if found else None


@dataclass
class TwoNodes:
    a: SeededNode  # se: the project's node
    b: SeededNode  # be: the applicant's node


def _start(stack: ExitStack, root: Path, name: str) -> SeededNode:
    port = free_port()
    env = {
        "SMARTNODE_DOMAIN": f"localhost:{port}",
        "SMARTNODE_BASE_URL": f"http://localhost:{port}",
        "SMARTNODE_NODE_NAME": COUNTRIES[name],
        "SMARTNODE_NODE_COUNTRY": name.upper(),
    }
    server = stack.enter_context(
        smartnode_server(root / name, env=env, port=port, seed=name.upper())
    )
    return SeededNode(name, server)


def _peered(first: SeededNode, second: SeededNode) -> bool:
    both = ("accepted", "accepted")
    return first.peer_states(second) == both and second.peer_states(first) == both


@contextmanager
def two_nodes(root: Path) -> Iterator[TwoNodes]:
    """se and be served side by side, peers of each other; both stopped at the end."""
    with ExitStack() as stack:
        with ThreadPoolExecutor(2) as pool:
            started = [pool.submit(_start, stack, root, name) for name in ("se", "be")]
            a, b = (future.result() for future in started)
        a.cli("peer", "add", b.base_url)
        b.cli("peer", "add", a.base_url)
        poll(lambda: _peered(a, b), "se and be accepting each other as peers", DEADLINE)
        yield TwoNodes(a, b)
