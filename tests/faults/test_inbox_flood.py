"""An inbox flood from one host: that host gets 429 with Retry-After once over its budget,
while another peer's POSTs keep being stored (202)."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import select

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage
from tests.conftest import make_member, now
from tests.inbox import Fediverse, follow_activity

FLOOD = "https://flood.example/users/spam"
PEER = "https://peer.example/users/bo"
FLOOD_PRIVATE, FLOOD_PUBLIC = generate_rsa_keypair()
PEER_PRIVATE, PEER_PUBLIC = generate_rsa_keypair()
BUDGET = 20  # POSTs per host per minute


async def post(client: httpx.AsyncClient, actor: str, private_pem: str, n: int) -> httpx.Response:
    url = f"{client.base_url}/inbox"
    body = json.dumps(follow_activity(actor, f"{client.base_url}/actor", f"{actor}#f/{n}"))
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_request_cavage(
        "POST", url, headers, body.encode(), f"{actor}#main-key",
        load_private_key(private_pem), now(),
    )  # fmt: skip
    return await client.post("/inbox", content=body, headers=headers)


async def test_a_flooding_host_gets_429_and_other_peers_are_still_served(
    settings: Settings, db: Database
) -> None:
    await make_member(db, settings, "anna")
    world = Fediverse()
    world.actor(FLOOD, pem=FLOOD_PUBLIC)
    world.actor(PEER, pem=PEER_PUBLIC)
    limited = settings.model_copy(update={"inbox_rate_per_minute": BUDGET})
    app = create_app(limited, outbound_transport=httpx.MockTransport(world.handle))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            flood = await asyncio.gather(
                *(post(client, FLOOD, FLOOD_PRIVATE, n) for n in range(3 * BUDGET))
            )
            peer = [await post(client, PEER, PEER_PRIVATE, n) for n in range(BUDGET // 2)]

    statuses = [r.status_code for r in flood]
    assert set(statuses) == {202, 429} and statuses.count(202) <= BUDGET
    assert all(int(r.headers["retry-after"]) >= 1 for r in flood if r.status_code == 429)
    assert all(r.json()["code"] == "rate_limited" for r in flood if r.status_code == 429)
    assert [r.status_code for r in peer] == [202] * (BUDGET // 2)
    async with db.session() as s:
        stored = (await s.scalars(select(InboxMessage.actor_uri))).all()
    assert stored.count(PEER) == BUDGET // 2
    assert stored.count(FLOOD) == statuses.count(202)
