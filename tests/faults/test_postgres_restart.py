"""PostgreSQL restarted under load: a real node (`smartnode serve`, API only) and a real
`smartnode worker` on a cluster of the test's own, while signed inbox POSTs keep arriving.
During the outage POSTs are answered 503 with Retry-After, never 500; afterwards the API and
the worker recover on their own, and every POST that was answered 202 is handled."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from smartnode.federation.keys import load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.federation.vocab import ACTIVITY_JSON
from smartnode.storage.db import create_engine
from smartnode.storage.models import InboxMessage
from tests.e2e.remote import FakeActor, fake_origin
from tests.faults.cluster import Cluster, own_postgres
from tests.servers import Server, smartnode_server, started

SENDERS = 3
OUTAGE = 3.0  # seconds the cluster stays down
PATIENCE = 90.0


@dataclass
class Load:
    """Signed Follows POSTed by a few threads until stopped; every answer is kept."""

    node: Server
    actor: FakeActor
    target: str
    answers: list[tuple[str, int, str | None]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: int = 0

    def _next_id(self) -> str:
        with self._lock:
            self._count += 1
            return f"{self.actor.uri}/follows/{self._count}"

    def _send(self) -> None:
        key = load_private_key(self.actor.private_pem)
        url = self.node.url("/inbox")
        with httpx.Client(timeout=30) as client:
            while not self.stopping.is_set():
                activity = {"@context": "https://www.w3.org/ns/activitystreams",
                            "id": self._next_id(), "type": "Follow", "actor": self.actor.uri,
                            "object": self.target}  # fmt: skip
                body = json.dumps(activity).encode()
                headers = {"Content-Type": ACTIVITY_JSON}
                headers |= sign_request_cavage(
                    "POST", url, headers, body, self.actor.key_id, key, datetime.now(UTC)
                )
                try:
                    response = client.post(url, content=body, headers=headers)
                    status, retry = response.status_code, response.headers.get("retry-after")
                except httpx.TransportError as error:
                    status, retry = 0, type(error).__name__
                with self._lock:
                    self.answers.append((activity["id"], status, retry))
                time.sleep(0.02)

    @property
    def seen(self) -> list[tuple[str, int, str | None]]:
        with self._lock:
            return list(self.answers)

    def statuses_since(self, mark: int) -> list[int]:
        return [status for _, status, _ in self.seen[mark:]]

    @classmethod
    @contextmanager
    def running(cls, node: Server, actor: FakeActor, target: str) -> Iterator[Load]:
        load = cls(node, actor, target)
        threads = [threading.Thread(target=load._send, daemon=True) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        try:
            yield load
        finally:
            load.stopping.set()
            for thread in threads:
                thread.join(40)


def wait(condition: object, what: str, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:g} s")
        time.sleep(0.1)


async def handled(cluster: Cluster) -> dict[str, str]:
    """State of every stored inbox message, by activity id."""
    engine = create_engine(cluster.url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(select(InboxMessage.activity_uri, InboxMessage.state))
            return {uri: state for uri, state in found.all()}
    finally:
        await engine.dispose()


def test_inbox_and_worker_ride_out_a_postgresql_restart(tmp_path: Path) -> None:
    with own_postgres() as cluster, fake_origin() as origin:
        alice = origin.add_actor("alice")
        env = {"SMARTNODE_DATABASE_URL": cluster.url, "SMARTNODE_IN_PROCESS_WORKER": "false",
               "SMARTNODE_LOG_FORMAT": "text"}  # fmt: skip
        with smartnode_server(tmp_path / "node", env=env) as node:
            node_ok = node.cli("member", "create", "anna", "--name", "Anna")
            assert node_ok.returncode == 0, node_ok.stderr
            anna = node.url("/members/anna")
            with started(["worker"], node.env, tmp_path / "worker.log") as worker:
                with Load.running(node, alice, anna) as load:
                    wait(lambda: load.statuses_since(0).count(202) >= 20, "POSTs stored")
                    # The restart must hit a worker at work, not one still starting up.
                    wait(lambda: "done" in asyncio.run(handled(cluster)).values(),
                         "the worker handling messages")  # fmt: skip
                    cluster.stop()
                    down = len(load.seen)
                    time.sleep(OUTAGE)
                    during = load.statuses_since(down)
                    cluster.start()
                    back = len(load.seen)
                    wait(lambda: load.statuses_since(back).count(202) >= 20, "POSTs stored again")
                answers = load.seen
                accepted = {uri for uri, status, _ in answers if status == 202}

                def all_handled() -> bool:
                    states = asyncio.run(handled(cluster))
                    return all(states.get(uri) == "done" for uri in accepted)

                try:
                    wait(all_handled, "every accepted activity handled")
                except AssertionError as error:
                    raise worker.fail(str(error)) from None
                assert worker.process.poll() is None, worker.fail("the worker exited")
                ready = httpx.get(node.url("/readyz"), timeout=10)
            log = node.log()

    statuses = {status for _, status, _ in answers}
    assert 500 not in statuses and statuses <= {202, 503}, (statuses, log[-4000:])
    assert 503 in during, f"no POST saw the outage: {during}"
    unavailable = [(uri, retry) for uri, status, retry in answers if status == 503]
    assert all(retry is not None and int(retry) >= 1 for _, retry in unavailable)
    assert ready.status_code in (200, 503) and ready.json()["checks"]["database"] == "ok"
