"""Real loopback inboxes for the delivery tests (127.0.0.1 only, stopped by the test).

One aiohttp server stands for many remote hosts: every host name resolves to 127.0.0.1 through
the test resolver and the server answers by the Host header, as the test scripts it. It checks
each signature with our verifier and the sender's public key, and counts concurrent requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.federation.signatures import (
    SignatureError,
    SignedRequest,
    load_public_key_pem,
    parse_signature,
    verify_signature,
)
from smartnode.federation.vocab import PUBLIC
from smartnode.outbox.fanout import delivery_host
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor, Delivery, Host, table
from smartnode.storage.upsert import insert_ignoring_conflicts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
Handler = Callable[["Received"], Awaitable[web.Response] | web.Response]


async def loopback(host: str, port: int) -> list[str]:
    """Test resolver: every name is 127.0.0.1."""
    return ["127.0.0.1"]


@dataclass
class Received:
    """One request as the receiver saw it, with the scheme that verified (None: it did not)."""

    host: str
    headers: dict[str, str]
    body: bytes
    scheme: str | None
    key_id: str | None
    error: str | None


@dataclass
class Receiver:
    """Answers per host name; `answers[host]` is a status or a handler (default 202)."""

    public_pem: str
    verify_at: datetime = NOW
    answers: dict[str, Any] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    current: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, host: str, path: str = "/inbox") -> str:
        return f"http://{host}:{self.port}{path}"

    def server(self, host: str) -> str:
        """The key deliveries and hosts are kept under (host:port, as fan-out writes it)."""
        return f"{host}:{self.port}"

    def on(self, host: str) -> list[Received]:
        return [r for r in self.received if r.host == host]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _verify(
        self, request: web.Request, body: bytes
    ) -> tuple[str | None, str | None, str | None]:
        url = f"http://{request.host}{request.path_qs}"
        signed = SignedRequest.from_pairs(request.method, url, request.headers.items(), body)
        try:
            parsed = parse_signature(signed)
            verify_signature(parsed, signed, load_public_key_pem(self.public_pem), self.verify_at)
        except SignatureError as error:
            return None, None, error.code
        return parsed.scheme, parsed.key_id, None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = request.host.split(":")[0]
        body = await request.read()
        scheme, key_id, error = self._verify(request, body)
        seen = Received(host, dict(request.headers), body, scheme, key_id, error)
        self.received.append(seen)
        self.events.append(f"received {host}")
        self.current[host] = self.current.get(host, 0) + 1
        self.peak[host] = max(self.peak.get(host, 0), self.current[host])
        try:
            answer = self.answers.get(host, 202)
            if callable(answer):
                result = answer(seen)
                return await result if asyncio.iscoroutine(result) else result  # type: ignore[no-any-return]
            if scheme is None:
                return web.Response(status=401, text=error or "")
            return web.Response(status=answer)
        finally:
            self.current[host] -= 1


@dataclass
class SilentServer:
    """Accepts connections and never answers; counts them and notes when each closes."""

    events: list[str]
    accepted: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.events.append("silent accepted")
        self._writers.append(writer)
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        finally:
            self.events.append("silent closed")

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def queue_activity(
    db: Any, settings: Any, sender: Actor, inboxes: list[str], at: datetime = NOW
) -> Activity:
    """Arrange: one published activity and one pending Delivery row per inbox, due at `at`."""
    async with db.session() as s, s.begin():
        activity = await publish(
            s,
            node_uris(settings),
            sender,
            "Create",
            obj={"id": f"{sender.uri}/notes/1", "type": "Note", "content": "Hej"},
            to=[PUBLIC],
            now=at,
        )
        await s.flush()  # the activity's id
        await insert_ignoring_conflicts(
            s,
            table(Delivery),
            [
                {
                    "activity_id": activity.id,
                    "inbox_uri": inbox,
                    "host": delivery_host(inbox),
                    "state": "pending",
                    "run_at": at,
                    "attempts": 0,
                    "created_at": at,
                }
                for inbox in inboxes
            ],
        )
    return activity


async def deliveries(db: Any) -> dict[str, Delivery]:
    """Every delivery row by inbox URI (the last one wins when an inbox repeats)."""
    async with db.session() as s:
        rows = (await s.scalars(select(Delivery).order_by(Delivery.id))).all()
    return {row.inbox_uri: row for row in rows}


async def host_row(db: Any, host: str) -> Host | None:
    async with db.session() as s:
        return await s.get(Host, host)


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)
