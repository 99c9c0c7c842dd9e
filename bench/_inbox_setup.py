"""Fixtures of bench/inbox.py: remote actors and their keys, pre-signed request pools, a counting
remote origin on loopback, and the node's database (seed, reset, read back)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from smartnode.actors.remote import remote_actor_from_ap, store_remote_actor
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.federation.signatures import PrivateKey, sign_request_cavage
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage, KeyFailure, table

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"
USER_AGENT = "http.rb/5.2.0 (Mastodon/4.3.2; +https://remote.example/)"


@dataclass(frozen=True, slots=True)
class RemoteActor:
    """A remote actor the node already holds: its document and its private key."""

    uri: str
    private_pem: str
    document: dict[str, Any]

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def public_pem(self) -> str:
        return str(self.document["publicKey"]["publicKeyPem"])


def remote_actors(origin: str, count: int) -> list[RemoteActor]:
    """`count` Mastodon-shaped Person actors on `origin`, each with its own RSA-2048 key."""
    actors = []
    for n in range(count):
        private_pem, public_pem = generate_rsa_keypair()
        uri = f"{origin}/users/bench{n}"
        document = {
            "@context": [AS, "https://w3id.org/security/v1"], "id": uri, "type": "Person",
            "preferredUsername": f"bench{n}", "name": f"Bench {n}", "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": f"{origin}/inbox"},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem},
        }  # fmt: skip
        actors.append(RemoteActor(uri, private_pem, document))
    return actors


def create_note(actor: str, n: int, published: str) -> dict[str, Any]:
    """A public Create{Note} shaped as Mastodon sends it (about 1.4 KB serialised)."""
    status = f"{actor}/statuses/{n}"
    html = (f"<p>Rehearsal {n} moves to the small hall; bring the cue sheets and the spare "
            f"DI boxes. Lighting check at four, sound check at five.</p>")  # fmt: skip
    note = {
        "id": status, "type": "Note", "summary": None, "inReplyTo": None,
        "published": published, "url": f"{actor}/{n}", "attributedTo": actor,
        "to": [PUBLIC], "cc": [f"{actor}/followers"], "sensitive": False,
        "atomUri": status, "inReplyToAtomUri": None,
        "conversation": f"tag:remote.example,2026:objectId={n}:objectType=Conversation",
        "content": html, "contentMap": {"en": html}, "attachment": [], "tag": [],
        "replies": {"id": f"{status}/replies", "type": "Collection",
                    "first": {"type": "CollectionPage", "next": f"{status}/replies?page=true",
                              "partOf": f"{status}/replies", "items": []}},
    }  # fmt: skip
    context = {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri",
               "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
               "conversation": "ostatus:conversation", "sensitive": "as:sensitive"}  # fmt: skip
    return {"@context": [AS, context], "id": f"{status}/activity", "type": "Create",
            "actor": actor, "published": published, "to": [PUBLIC],
            "cc": [f"{actor}/followers"], "object": note}  # fmt: skip


def raw_post(url: str, body: bytes, key_id: str, key: PrivateKey, now: datetime) -> bytes:
    """The bytes of one signed inbox POST (draft-cavage, as Mastodon signs)."""
    headers = {"Content-Type": "application/activity+json"}
    added = sign_request_cavage("POST", url, headers, body, key_id, key, now)
    path = url.split("/", 3)[3]
    lines = [f"POST /{path} HTTP/1.1", f"Host: {added['Host']}", f"User-Agent: {USER_AGENT}",
             "Content-Type: application/activity+json", f"Content-Length: {len(body)}",
             f"Date: {added['Date']}", f"Digest: {added['Digest']}",
             f"Signature: {added['Signature']}"]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def signing_key(private_pem: str) -> PrivateKey:
    """A private key of the bench's own actors, loaded without OpenSSL's RSA consistency
    checks: the key was made by this run, and the checks take about 80 ms a key here."""
    key = load_pem_private_key(private_pem.encode(), None, unsafe_skip_rsa_key_validation=True)
    assert isinstance(key, RSAPrivateKey)
    return key


def _sign_chunk(job: tuple[str, list[RemoteActor], str | None, int, int]) -> list[bytes]:
    """Sign activities first..first+count; `forger_pem` signs them instead of their actor."""
    url, actors, forger_pem, first, count = job
    now = datetime.now(UTC)
    published = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    keys = [signing_key(forger_pem or actor.private_pem) for actor in actors]
    requests = []
    for n in range(first, first + count):
        actor = actors[n % len(actors)]
        body = orjson.dumps(create_note(actor.uri, n, published))
        requests.append(raw_post(url, body, actor.key_id, keys[n % len(actors)], now))
    return requests


def sign_pool(
    url: str, actors: list[RemoteActor], first: int, count: int, forger_pem: str | None = None
) -> list[bytes]:
    """`count` unique signed POSTs to `url`, signed on every core before any measurement."""
    workers = max(1, os.cpu_count() or 1)
    size = -(-count // (workers * 4))
    jobs = [(url, actors, forger_pem, start, min(size, first + count - start))
            for start in range(first, first + count, size)]  # fmt: skip
    with ProcessPoolExecutor(workers) as pool:
        return [raw for chunk in pool.map(_sign_chunk, jobs) for raw in chunk]


def activity_id(actor: RemoteActor, n: int) -> str:
    """The id of the n-th activity of a pool."""
    return f"{actor.uri}/statuses/{n}/activity"


class _Origin(BaseHTTPRequestHandler):
    server: CountingOrigin

    def do_GET(self) -> None:
        self.server.requests += 1
        document = self.server.documents.get(self.path.split("#")[0])
        body = orjson.dumps(document or {"error": "not found"})
        self.send_response(200 if document else 404)
        self.send_header("Content-Type", "application/activity+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        return


class CountingOrigin(ThreadingHTTPServer):
    """The remote actors' origin on 127.0.0.1: serves their documents, counts every request."""

    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Origin)
        self.requests = 0
        self.documents: dict[str, dict[str, Any]] = {}


@contextmanager
def counting_origin(port: int, actors: list[RemoteActor]) -> Iterator[CountingOrigin]:
    """Run the origin in a thread until the block ends."""
    server = CountingOrigin(port)
    for actor in actors:
        server.documents["/" + actor.uri.split("/", 3)[3]] = actor.document
    thread = threading.Thread(target=server.serve_forever, name="origin", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


async def seed_actors(settings: Settings, actors: list[RemoteActor]) -> None:
    """Store the remote actors (keys included) as if the node had fetched them."""
    db = Database(settings)
    try:
        async with db.session() as session, session.begin():
            for actor in actors:
                data = remote_actor_from_ap(actor.document)
                await store_remote_actor(session, data, datetime.now(UTC))
    finally:
        await db.dispose()


async def reset_inbox(settings: Settings) -> None:
    """Empty the stored inbox messages and negative key lookups (each round starts alike: on
    PostgreSQL by TRUNCATE, as a DELETE would leave the next node tens of thousands of dead
    rows and a bloated index to insert into until autovacuum came by)."""
    db = Database(settings)
    try:
        async with db.session() as session, session.begin():
            if settings.database_url.startswith("postgresql"):
                await session.execute(text("TRUNCATE inbox_messages, key_failures"))
                return
            await session.execute(delete(table(InboxMessage)))
            await session.execute(delete(table(KeyFailure)))
    finally:
        await db.dispose()


async def stored(settings: Settings) -> tuple[set[str], int, int]:
    """Stored activity ids, the row count, and how many key lookups failed."""
    db = Database(settings)
    try:
        async with db.session() as session:
            uris = set((await session.scalars(select(InboxMessage.activity_uri))).all())
            rows = await session.scalar(select(func.count()).select_from(InboxMessage))
            failures = await session.scalar(select(func.count()).select_from(KeyFailure))
    finally:
        await db.dispose()
    return uris, int(rows or 0), int(failures or 0)


async def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    """Drop (and unless `drop_only`, create) a PostgreSQL database of the bench's own."""
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not drop_only:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
