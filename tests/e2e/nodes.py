"""Three real `smartnode serve` processes (se, be, fr) on 127.0.0.1, each with its own SQLite
file and secret key, that the end-to-end tests stop and start again on the same port.

The tests act through each node's CLI and HTTP edges and read the nodes' databases read-only;
the one write (`due_now`) only moves a retry's time, and says why where it is used.
"""

from __future__ import annotations

import random
import secrets
import signal
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.servers import HOST, Server, check_cli, node_env, smartnode_server

AP = "application/activity+json"
#: How long an asynchronous effect (delivery, inbox processing) may take to show.
DEADLINE = 20.0
T = TypeVar("T")
NAMES = ("se", "be", "fr")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def ports_outside_ephemeral_range(count: int) -> list[int]:
    """Free ports below the kernel's ephemeral range, kept across restarts.

    An outgoing connection may take any free port of the ephemeral range as its local port,
    and then a node restarted on that port could not bind it.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    low = low if low > 12000 else 32768
    chosen: list[int] = []
    for port in random.sample(range(10000, low), 400):
        if _free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"found no {count} free ports on {HOST} below {low}")


def poll(check: Callable[[], T | None], what: str, timeout: float = DEADLINE) -> T:
    """The first truthy result of `check`, polled until `timeout`; fails saying `what`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout:g} s (last: {last!r})")


@dataclass
class Node:
    """One national node: its port and data folder stay the same across restarts."""

    name: str
    root: Path
    port: int
    server: Server | None = None
    token: str = ""  # an admin token of the JSON API, made at the first start
    _stack: ExitStack | None = None

    def __post_init__(self) -> None:
        self.data_dir = self.root / self.name
        self.env = node_env(
            self.data_dir,
            self.port,
            {
                "SMARTNODE_SECRET_KEY": secrets.token_urlsafe(32),
                "SMARTNODE_NODE_NAME": f"Smart {self.name.upper()}",
                "SMARTNODE_NODE_COUNTRY": self.name.upper(),
            },
        )

    # -- process --------------------------------------------------------------------------

    def start(self) -> None:
        """Start `smartnode serve` (after `init` the first time) and wait until it answers."""
        assert self.server is None, f"{self.name} is running already"
        stack = ExitStack()
        self.server = stack.enter_context(
            smartnode_server(self.data_dir, env=self.env, port=self.port, init=not self.token)
        )
        self._stack = stack
        if not self.token:
            self.token = self.cli("token", "create", "e2e tests").strip()

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Stop the process (Ctrl-C by default; SIGKILL for a crash)."""
        if self.server is not None and self._stack is not None:
            self.server.running.stop(sig)
            self._stack.close()
        self.server, self._stack = None, None

    def log(self) -> str:
        path = self.data_dir / "serve.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # -- addresses ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def member_uri(self, username: str) -> str:
        return self.url(f"/members/{username}")

    def handle(self, username: str) -> str:
        return f"@{username}@{HOST}:{self.port}"

    # -- CLI ------------------------------------------------------------------------------

    def cli(self, *args: str) -> str:
        """Run `smartnode ARGS` against this node's database; its stdout (fails on error)."""
        return check_cli(args, self.env)

    # -- HTTP -----------------------------------------------------------------------------

    def get_ap(self, path_or_url: str) -> httpx.Response:
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        return httpx.get(url, headers={"Accept": AP}, timeout=10)

    def collection(self, username: str, name: str) -> list[str]:
        """Every item of a member's followers/following collection, walking its pages."""
        root = self.get_ap(f"/members/{username}/{name}")
        assert root.status_code == 200, root.text
        assert root.headers["content-type"].startswith(AP)
        items: list[str] = []
        page_url: str | None = root.json()["first"]
        while page_url:
            page = self.get_ap(page_url).json()
            items += page.get("orderedItems", [])
            page_url = page.get("next")
        return items

    def api(self, method: str, path: str, fields: dict[str, Any]) -> httpx.Response:
        """Call the JSON API as an admin; fails unless it answers 2xx."""
        headers = {"Authorization": f"Bearer {self.token}"}
        answer = httpx.request(method, self.url(path), json=fields, headers=headers, timeout=30)
        assert answer.is_success, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer

    def create_member(self, username: str, name: str) -> str:
        """A new member (through the JSON API); its actor id."""
        self.api("POST", "/api/smart/v1/members", {"username": username, "name": name})
        return self.member_uri(username)

    def patch_member(self, username: str, **fields: Any) -> None:
        """Change a member's profile through the JSON API (sends Update to followers)."""
        self.api("PATCH", f"/api/smart/v1/members/{username}", fields)

    # -- database -------------------------------------------------------------------------

    @property
    def db_file(self) -> Path:
        return self.data_dir / "smartnode.db"

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query on this node's SQLite file, opened read-only."""
        uri = f"file:{self.db_file}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()

    def follow_state(self, follower_uri: str, followed_uri: str) -> str | None:
        found = self.rows(
            "SELECT f.state FROM follows f"
            " JOIN actors a ON a.id = f.follower_id JOIN actors b ON b.id = f.followed_id"
            " WHERE a.uri = ? AND b.uri = ?",
            (follower_uri, followed_uri),
        )
        return found[0][0] if found else None

    def remote_name(self, actor_uri: str) -> str | None:
        """The name in this node's stored copy of a remote actor."""
        found = self.rows("SELECT name FROM actors WHERE uri = ? AND local = 0", (actor_uri,))
        return found[0][0] if found else None

    def sent(self, actor_uri: str, activity_type: str) -> int:
        """How many activities of a type a local actor has published."""
        found = self.rows(
            "SELECT count(*) FROM activities a JOIN actors s ON s.id = a.actor_id"
            " WHERE s.uri = ? AND a.activity_type = ?",
            (actor_uri, activity_type),
        )
        return int(found[0][0])

    def deliveries_to(self, inbox_uri: str, sender_uri: str) -> list[tuple[Any, ...]]:
        """(id, state, attempts, last_error, activity type) of a sender's deliveries to an inbox."""
        return self.rows(
            "SELECT d.id, d.state, d.attempts, d.last_error, a.activity_type FROM deliveries d"
            " JOIN activities a ON a.id = d.activity_id JOIN actors s ON s.id = a.actor_id"
            " WHERE d.inbox_uri = ? AND s.uri = ? ORDER BY d.id",
            (inbox_uri, sender_uri),
        )

    def due_now(self, delivery_ids: Sequence[int]) -> None:
        """Make pending deliveries due at once (their next retry would be tens of seconds off)."""
        marks = ",".join("?" * len(delivery_ids))
        with closing(sqlite3.connect(self.db_file, timeout=10)) as conn, conn:
            conn.execute(
                f"UPDATE deliveries SET run_at = '2000-01-01 00:00:00.000000'"
                f" WHERE state = 'pending' AND id IN ({marks})",
                list(delivery_ids),
            )


@dataclass
class Federation:
    """The three nodes of the tests."""

    se: Node
    be: Node
    fr: Node

    def nodes(self) -> tuple[Node, Node, Node]:
        return self.se, self.be, self.fr


def running_federation(root: Path) -> Iterator[Federation]:
    """Start se, be and fr (side by side); stop whichever still run at the end."""
    ports = ports_outside_ephemeral_range(len(NAMES))
    federation = Federation(*(Node(name, root, port) for name, port in zip(NAMES, ports)))
    try:
        with ThreadPoolExecutor(len(NAMES)) as pool:
            for started in [pool.submit(node.start) for node in federation.nodes()]:
                started.result()
        yield federation
    finally:
        for node in federation.nodes():
            node.stop()
