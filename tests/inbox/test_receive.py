"""The inbox edge: status codes as PROTOCOL.md says, nothing stored or fetched when refused."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from smartnode.actors.members import delete_actor
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.federation.uris import ActorKind
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, DomainBlock, InboxMessage, KeyFailure
from tests.conftest import make_member
from tests.inbox import Fediverse, count

ALICE = "https://mastodon.example/users/alice"
ALICE_PRIVATE, ALICE_PUBLIC = generate_rsa_keypair()
MALLORY_PRIVATE, _ = generate_rsa_keypair()


@pytest.fixture
def fediverse() -> Fediverse:
    world = Fediverse()
    world.actor(ALICE, pem=ALICE_PUBLIC)
    return world


@pytest.fixture
async def node(settings: Settings, db: Database, fediverse: Fediverse) -> AsyncIterator[FastAPI]:
    application = create_app(settings, outbound_transport=httpx.MockTransport(fediverse.handle))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def inbox(node: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=node), base_url=settings.base_url
    ) as client:
        yield client


def follow(target: str, *, actor: str = ALICE, n: int = 1) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}#follows/{n}",
            "type": "Follow", "actor": actor, "object": target}  # fmt: skip


def signed(
    url: str,
    body: bytes,
    *,
    private_pem: str = ALICE_PRIVATE,
    key_id: str = f"{ALICE}#main-key",
    now: datetime | None = None,
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    added = sign_request_cavage(
        "POST", url, headers, body, key_id, load_private_key(private_pem), now or datetime.now(UTC)
    )
    return {**headers, **added}


async def post(client: httpx.AsyncClient, path: str, doc: Any, **options: Any) -> httpx.Response:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    url = f"{client.base_url}{path}".replace("//inbox", "/inbox")
    headers = options.pop("headers", None) or signed(url, body, **options)
    return await client.post(path, content=body, headers=headers)


async def test_signed_follow_is_stored_and_answered_202_once(
    inbox, db, settings, fediverse
) -> None:
    anna = await make_member(db, settings, "anna")
    first = await post(inbox, "/members/anna/inbox", follow(anna.uri))
    again = await post(inbox, "/members/anna/inbox", follow(anna.uri))
    assert (first.status_code, again.status_code) == (202, 202)
    async with db.session() as s:
        rows = (await s.scalars(select(InboxMessage))).all()
        alice = await s.scalar(select(Actor).where(Actor.uri == ALICE))
    assert len(rows) == 1
    assert rows[0].inbox == f"{anna.uri}/inbox" and rows[0].actor_uri == ALICE
    assert rows[0].body["type"] == "Follow" and rows[0].state == "pending"
    assert alice is not None and alice.key_id == f"{ALICE}#main-key" and not alice.local
    key_fetches = [r for r in fediverse.requests if str(r.url) == ALICE]
    assert len(key_fetches) == 1  # the second POST used the cached key
    assert 'keyId="https://se.smart.test/actor#main-key"' in key_fetches[0].headers["signature"]


async def test_shared_inbox_accepts_for_any_local_actor(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    response = await post(inbox, "/inbox", follow(anna.uri))
    assert response.status_code == 202
    async with db.session() as s:
        assert (await s.scalars(select(InboxMessage.inbox))).all() == [f"{settings.base_url}/inbox"]


async def test_unsigned_post_is_401_and_nothing_is_fetched(inbox, db, settings, fediverse) -> None:
    await make_member(db, settings, "anna")
    response = await post(
        inbox, "/inbox", follow("x"), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert await count(db, InboxMessage) == 0 and fediverse.requests == []


async def test_signature_by_another_key_is_401(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    response = await post(inbox, "/inbox", follow(anna.uri), private_pem=MALLORY_PRIVATE)
    assert response.status_code == 401
    assert await count(db, InboxMessage) == 0


async def test_signer_must_be_the_activity_actor(inbox, db, settings, fediverse) -> None:
    anna = await make_member(db, settings, "anna")
    eve = "https://mastodon.example/users/eve"
    eve_private, eve_public = generate_rsa_keypair()
    fediverse.actor(eve, pem=eve_public)
    response = await post(
        inbox, "/inbox", follow(anna.uri), private_pem=eve_private, key_id=f"{eve}#main-key"
    )
    assert response.status_code == 401
    assert "not by" in response.json()["error"]
    assert await count(db, InboxMessage) == 0


async def test_stale_date_is_401(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    stale = datetime.now(UTC) - timedelta(minutes=70)
    response = await post(inbox, "/inbox", follow(anna.uri), now=stale)
    assert response.status_code == 401 and await count(db, InboxMessage) == 0


async def test_too_large_body_is_413(inbox, db, settings, fediverse) -> None:
    doc = follow("https://se.smart.test/members/anna")
    doc["padding"] = "x" * (1 << 20)
    response = await post(inbox, "/inbox", doc)
    assert response.status_code == 413
    assert await count(db, InboxMessage) == 0 and fediverse.requests == []


async def test_compressed_body_is_refused(inbox, db) -> None:
    body = gzip.compress(json.dumps(follow("https://se.smart.test/members/anna")).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/activity+json"}
    response = await inbox.post("/inbox", content=body, headers=headers)
    assert response.status_code == 415 and await count(db, InboxMessage) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'{"type": "Follow"}',
        b"[" * 200 + b"]" * 200,
        json.dumps({**follow("https://se.smart.test/actor"), "@graph": []}).encode(),
        json.dumps({**follow("https://se.smart.test/actor"), "@context": {"type": "@id"}}).encode(),
        json.dumps({**follow("https://se.smart.test/actor"), "id": "urn:x:1"}).encode(),
    ],
)
async def test_malformed_documents_are_400_and_fetch_nothing(inbox, db, fediverse, body) -> None:
    response = await post(inbox, "/inbox", body)
    assert response.status_code == 400
    assert await count(db, InboxMessage) == 0 and fediverse.requests == []


async def test_blocked_domain_is_403_before_any_fetch(inbox, db, settings, fediverse) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        s.add(DomainBlock(domain="example", reason="", created_at=datetime.now(UTC)))
    response = await post(inbox, "/inbox", follow(anna.uri))
    assert response.status_code == 403
    assert await count(db, InboxMessage) == 0 and fediverse.requests == []


async def test_delete_of_an_unknown_actor_is_202_without_fetching(inbox, db, fediverse) -> None:
    gone = "https://gone.example/users/zed"
    delete = {"id": f"{gone}#delete", "type": "Delete", "actor": gone, "object": gone}
    response = await post(inbox, "/inbox", delete, key_id=f"{gone}#main-key")
    assert response.status_code == 202
    assert await count(db, InboxMessage) == 0 and fediverse.requests == []


async def test_unknown_and_deleted_recipients_are_404_and_410(inbox, db, settings) -> None:
    assert (await post(inbox, "/members/nobody/inbox", follow("x"))).status_code == 404
    await make_member(db, settings, "gone")
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "gone", datetime.now(UTC))
    assert (await post(inbox, "/members/gone/inbox", follow("x"))).status_code == 410
    assert await count(db, InboxMessage) == 0


async def test_unfetchable_key_is_401_and_cached_negatively(inbox, db, settings, fediverse) -> None:
    anna = await make_member(db, settings, "anna")
    ghost = "https://mastodon.example/users/ghost"
    doc = follow(anna.uri, actor=ghost)
    for _ in range(2):
        response = await post(inbox, "/inbox", doc, key_id=f"{ghost}#main-key")
        assert response.status_code == 401
    assert [str(r.url) for r in fediverse.requests] == [ghost]  # fetched once, then cached
    async with db.session() as s:
        assert (await s.get(KeyFailure, f"{ghost}#main-key")) is not None
    assert await count(db, InboxMessage) == 0


async def test_rotated_key_is_refetched_once_and_stored(inbox, db, settings, fediverse) -> None:
    anna = await make_member(db, settings, "anna")
    assert (await post(inbox, "/inbox", follow(anna.uri))).status_code == 202
    new_private, new_public = generate_rsa_keypair()
    fediverse.actor(ALICE, pem=new_public)
    response = await post(inbox, "/inbox", follow(anna.uri, n=2), private_pem=new_private)
    assert response.status_code == 202
    async with db.session() as s:
        alice = await s.scalar(select(Actor).where(Actor.uri == ALICE))
    assert alice is not None and alice.public_key_pem == new_public
    assert await count(db, InboxMessage) == 2


async def test_rate_limited_host_gets_429_with_retry_after(db, settings, fediverse) -> None:
    limited = settings.model_copy(update={"inbox_rate_per_minute": 2})
    application = create_app(limited, outbound_transport=httpx.MockTransport(fediverse.handle))
    anna = await make_member(db, settings, "anna")
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url=settings.base_url
        ) as client,
    ):
        codes = [
            (await post(client, "/inbox", follow(anna.uri, n=n))).status_code for n in range(3)
        ]
        last = await post(client, "/inbox", follow(anna.uri, n=9))
    assert codes == [202, 202, 429]
    assert last.status_code == 429 and int(last.headers["retry-after"]) >= 1
    assert await count(db, InboxMessage) == 2


async def test_storage_failure_is_503_never_202(node, inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    await node.state.inbox.writer.stop()
    response = await post(inbox, "/inbox", follow(anna.uri))
    assert response.status_code == 503
    assert await count(db, InboxMessage) == 0


async def test_a_refusal_has_the_apis_error_shape(inbox, db) -> None:
    body = json.dumps(follow("https://se.smart.test/members/anna")).encode()
    headers = {"Content-Type": "application/activity+json"}  # no signature
    response = await inbox.post("/inbox", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "missing_signature" and response.json()["error"]
    assert await count(db, InboxMessage) == 0
