"""Helpers for inbox processing tests: remote servers faked at the transport, and a receive()
that stores a verified message as the inbox edge does and dispatches it in one transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select

from smartnode.actors.records import node_uris
from smartnode.actors.resolve import FetchingResolver
from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.inbox.dispatch import InboxContext, Outcome, dispatch
from smartnode.storage.db import Database
from smartnode.storage.models import Base, InboxMessage

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
AS = "https://www.w3.org/ns/activitystreams"
_, PEM = generate_rsa_keypair()
_, OTHER_PEM = generate_rsa_keypair()


class Streamed(httpx.AsyncByteStream):
    """A body that arrives as a stream, as from a real server (the Fetcher reads it raw)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


class Fediverse:
    """Remote servers at the transport: documents by URL, WebFinger answers, a request log."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, Any, str]] = {}
        self.requests: list[httpx.Request] = []

    def actor(self, uri: str, *, pem: str = PEM, **fields: Any) -> dict[str, Any]:
        """Serve a Mastodon-shaped actor at `uri` and answer WebFinger for it."""
        parts = urlsplit(uri)
        username = fields.pop("preferredUsername", uri.rstrip("/").rsplit("/", 1)[-1])
        doc = {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": uri,
            "type": fields.pop("type", "Person"),
            "preferredUsername": username,
            "name": fields.pop("name", username.title()),
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": f"{parts.scheme}://{parts.netloc}/inbox"},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": pem},
            **fields,
        }
        self.serve(uri, doc)
        self.finger(f"{username}@{parts.netloc}", uri)
        return doc

    def serve(self, url: str, doc: Any, status: int = 200) -> None:
        self.documents[url] = (status, doc, "application/activity+json")

    def redirect(self, url: str, location: str) -> None:
        self.documents[url] = (301, location, "redirect")

    def finger(self, handle: str, href: str, *, subject: str | None = None) -> None:
        """Answer WebFinger for `handle` (user@host) with a self link to `href`."""
        host = handle.rpartition("@")[2]
        jrd = {
            "subject": subject or f"acct:{handle}",
            "links": [{"rel": "self", "type": "application/activity+json", "href": href}],
        }
        self.documents[f"webfinger {host} acct:{handle}"] = (200, jrd, "application/jrd+json")

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if request.url.path == "/.well-known/webfinger":
            resource = parse_qs(request.url.query.decode()).get("resource", [""])[0]
            url = f"webfinger {request.url.netloc.decode()} {resource}"
        status, doc, media = self.documents.get(url, (404, {"error": "not found"}, "text/plain"))
        if media == "redirect":
            return httpx.Response(status, headers={"location": doc})
        body = Streamed(json.dumps(doc).encode())
        return httpx.Response(status, headers={"content-type": media}, stream=body)

    def fetcher(self, settings: Settings) -> Fetcher:
        return Fetcher(settings, transport=httpx.MockTransport(self.handle))

    def fetched(self) -> list[str]:
        return [str(r.url) for r in self.requests]

    @staticmethod
    def fingered(handle: str, scheme: str = "https") -> str:
        """The WebFinger URL asked for `user@host` (as `fetched()` lists it)."""
        return (
            f"{scheme}://{handle.rpartition('@')[2]}/.well-known/webfinger?resource=acct:{handle}"
        )


@asynccontextmanager
async def inbox_context(
    db: Database, settings: Settings, fediverse: Fediverse, now: datetime = NOW
) -> AsyncIterator[InboxContext]:
    """One worker transaction with a resolver over the real Fetcher and the fake transport."""
    async with fediverse.fetcher(settings) as fetcher, db.session() as s, s.begin():
        uris = node_uris(settings)
        resolver = FetchingResolver(s, uris, fetcher, now=now)
        yield InboxContext(session=s, settings=settings, uris=uris, now=now, resolver=resolver)


async def receive(
    db: Database,
    settings: Settings,
    fediverse: Fediverse,
    body: dict[str, Any],
    *,
    actor_uri: str | None = None,
    now: datetime = NOW,
    inbox: str | None = None,
) -> Outcome:
    """Store `body` as the edge would (verified, bound to its actor), posted to `inbox` (the
    shared one by default), and dispatch it."""
    actor = actor_uri or (body["actor"] if isinstance(body["actor"], str) else body["actor"]["id"])
    async with inbox_context(db, settings, fediverse, now) as ctx:
        message = InboxMessage(
            activity_uri=str(body.get("id")), inbox=inbox or f"{settings.base_url}/inbox",
            actor_uri=actor, activity_type=str(body.get("type")), body=body,
            received_at=now, state="pending", run_at=now, attempts=0,
        )  # fmt: skip
        ctx.session.add(message)
        await ctx.session.flush()
        return await dispatch(ctx, message)


async def count(db: Database, model: type[Base]) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


def follow_activity(actor: str, target: str, follow_id: str | None = None) -> dict[str, Any]:
    """A Follow as Mastodon sends it."""
    return {
        "@context": AS,
        "id": follow_id or f"{actor}#follows/1",
        "type": "Follow",
        "actor": actor,
        "object": target,
    }
