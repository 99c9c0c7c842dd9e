"""/metrics on the wire: off by default, behind its token when on, and its counters move with
real requests, inbox POSTs and deliveries; queue depths are read from the database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from smartnode.config import Settings
from smartnode.federation.signer import utc_now
from smartnode.ops.metrics import REQUEST_BUCKETS
from smartnode.storage.db import Database
from tests.conftest import make_member
from tests.inbox import Fediverse
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post
from tests.ops import METRICS_TOKEN, node_client, scrape, value
from tests.outbox.receivers import Receiver, queue_activity
from tests.servers import free_port

ON = {"metrics_token": SecretStr(METRICS_TOKEN)}


@pytest.fixture
def fediverse() -> Fediverse:
    world = Fediverse()
    world.actor(ALICE, pem=ALICE_PUBLIC)
    return world


async def test_metrics_are_off_by_default(settings: Settings, db: Database) -> None:
    async with node_client(settings) as client:
        answer = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 404


async def test_metrics_need_the_token(settings: Settings, db: Database) -> None:
    async with node_client(settings, **ON) as client:
        bare = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        near = await client.get(
            "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN[:-1]}"}
        )
    for answer in (bare, wrong, near):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert METRICS_TOKEN not in answer.text


async def test_requests_are_counted_by_route_template_and_status(
    settings: Settings, db: Database
) -> None:
    await make_member(db, settings, "anna")
    await make_member(db, settings, "bo")
    async with node_client(settings, **ON) as client:
        before = await scrape(client)
        for path in ("/members/anna", "/members/bo", "/members/nobody", "/no/such/page/x1"):
            await client.get(path, headers={"Accept": "application/activity+json"})
        await client.get("/healthz")
        await client.get("/api/smart/v1/members/anna")
        after = await scrape(client)
    name = "smartnode_http_requests_total"

    def moved(route: str, status: str) -> float:
        labels = {"route": route, "method": "GET", "status": status}
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("/members/{username}", "200") == 2
    assert moved("/members/{username}", "404") == 1
    assert moved("unmatched", "404") == 1
    assert moved("/healthz", "200") == 1
    assert moved("/api/smart/v1/members/{username}", "200") == 1  # the router's prefix kept
    assert not any("nobody" in str(key) or "x1" in str(key) for key in after)  # no raw paths
    count = value(
        after, "smartnode_http_request_duration_seconds_count", route="/members/{username}"
    )
    assert count >= 3


async def test_request_durations_are_a_cumulative_histogram_per_route(
    settings: Settings, db: Database
) -> None:
    await make_member(db, settings, "anna")
    async with node_client(settings, **ON) as client:
        for _ in range(3):
            await client.get("/members/anna", headers={"Accept": "application/activity+json"})
        after = await scrape(client)
    name, route = "smartnode_http_request_duration_seconds", "/members/{username}"
    bounds = [str(bound) for bound in REQUEST_BUCKETS] + ["+Inf"]
    buckets = [value(after, f"{name}_bucket", le=le, route=route) for le in bounds]
    assert buckets == sorted(buckets) and buckets[-1] == 3  # cumulative, every request in +Inf
    assert value(after, f"{name}_count", route=route) == 3
    assert 0 < value(after, f"{name}_sum", route=route) < 3 * 10


@pytest.fixture
async def inbox_node(
    settings: Settings, db: Database, fediverse: Fediverse
) -> AsyncIterator[httpx.AsyncClient]:
    from smartnode.app import create_app

    application = create_app(
        settings.model_copy(update=ON), outbound_transport=httpx.MockTransport(fediverse.handle)
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            yield client


async def test_inbox_posts_are_counted_by_outcome_and_reason(
    inbox_node: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    anna = await make_member(db, settings, "anna")
    path = "/members/anna/inbox"
    assert (await post(inbox_node, path, follow(anna.uri))).status_code == 202
    assert (await post(inbox_node, path, follow(anna.uri))).status_code == 202
    unsigned = await inbox_node.post(path, content=json.dumps(follow(anna.uri, n=2)))
    assert unsigned.status_code == 401
    assert (
        await post(inbox_node, "/members/nobody/inbox", follow(anna.uri, n=3))
    ).status_code == 404
    malformed = await post(inbox_node, path, b"{not json")
    assert malformed.status_code == 400
    samples = await scrape(inbox_node)
    name = "smartnode_inbox_posts_total"
    assert value(samples, name, outcome="stored", reason="") == 1
    assert value(samples, name, outcome="duplicate", reason="") == 1
    assert value(samples, name, outcome="refused", reason=unsigned.json()["code"]) == 1
    assert value(samples, name, outcome="refused", reason="not_found") == 1
    assert value(samples, name, outcome="refused", reason=malformed.json()["code"]) == 1
    assert value(samples, "smartnode_queue_rows", queue="inbox", state="pending") == 1
    assert value(samples, "smartnode_queue_rows", queue="jobs", state="failed") == 0


async def test_queue_depths_and_waits_are_read_from_the_database_at_scrape_time(
    settings: Settings, db: Database
) -> None:
    anna = await make_member(db, settings, "anna")
    due = utc_now() - timedelta(minutes=3)
    await queue_activity(
        db, settings, anna, ["https://a.example/inbox", "https://b.example/inbox"], at=due
    )
    async with node_client(settings, **ON) as client:
        samples = await scrape(client)
    assert value(samples, "smartnode_queue_rows", queue="deliveries", state="pending") == 2
    assert value(samples, "smartnode_queue_oldest_due_seconds", queue="deliveries") >= 180
    assert value(samples, "smartnode_queue_rows", queue="jobs", state="pending") == 1  # fan-out
    assert value(samples, "smartnode_queue_oldest_due_seconds", queue="inbox") == 0
    assert value(samples, "smartnode_worker_heartbeat_age_seconds") == -1
    assert value(samples, "smartnode_db_pool_connections", state="in_use") >= 1  # the scrape's


async def test_deliveries_are_counted_by_outcome(settings: Settings, db: Database) -> None:
    anna = await make_member(db, settings, "anna")
    receiver = Receiver(anna.public_key_pem, verify_at=utc_now())
    await receiver.start()
    try:
        refused = f"http://127.0.0.1:{free_port()}/inbox"
        await queue_activity(db, settings, anna, [receiver.url("127.0.0.1"), refused], at=utc_now())
        async with node_client(
            settings, in_process_worker=True, allow_private_addresses=True, **ON
        ) as client:
            for _ in range(400):  # until the in-process worker has tried both
                samples = await scrape(client)
                tried = value(samples, "smartnode_deliveries_total", outcome="delivered") + value(
                    samples, "smartnode_deliveries_total", outcome="retry"
                )
                if tried >= 2:
                    break
                await asyncio.sleep(0.05)
    finally:
        await receiver.stop()
    assert value(samples, "smartnode_deliveries_total", outcome="delivered") == 1
    assert value(samples, "smartnode_deliveries_total", outcome="retry") == 1
    assert value(samples, "smartnode_delivery_duration_seconds_count") == 2
    assert len(receiver.received) == 1 and receiver.received[0].scheme == "cavage"
    assert value(samples, "smartnode_worker_heartbeat_age_seconds") >= 0


async def test_deliveries_to_the_shared_and_node_inbox_are_counted_under_their_routes(
    inbox_node: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    anna = await make_member(db, settings, "anna")
    for n, path in enumerate(("/inbox", "/actor/inbox", "/inbox")):
        assert (await post(inbox_node, path, follow(anna.uri, n=n))).status_code == 202
    samples = await scrape(inbox_node)
    name = "smartnode_http_requests_total"
    assert value(samples, name, route="/inbox", method="POST", status="202") == 2
    assert value(samples, name, route="/actor/inbox", method="POST", status="202") == 1
    assert value(samples, "smartnode_inbox_posts_total", outcome="stored", reason="") == 3
