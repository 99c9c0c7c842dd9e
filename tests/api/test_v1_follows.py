"""/api/smart/v1/actors/{username}/following, /followers, /follow-requests: on the wire and in
rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from smartnode.actors.members import delete_actor
from smartnode.app import create_app
from smartnode.federation.uris import ActorKind
from smartnode.storage.models import (
    Activity,
    Actor,
    Delivery,
    DomainBlock,
    Follow,
    InboxMessage,
    Job,
)
from smartnode.worker import Worker
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, make_project
from tests.inbox import AS, Fediverse, count, follow_activity, receive

ALICE = "https://mastodon.example/users/alice"
BOB = "https://social.example/users/bob"
API = "/api/smart/v1/actors"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, name="Alice Martin")
    fediverse.actor(BOB)
    return fediverse


@pytest.fixture
async def node(settings, db, world: Fediverse) -> AsyncIterator[FastAPI]:
    application = create_app(settings, outbound_transport=httpx.MockTransport(world.handle))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(node: FastAPI, settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=node)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield client


@pytest.fixture
async def admin(db) -> dict[str, str]:
    return await admin_headers(db)


async def rows(db, model: type, *order: Any) -> list[Any]:
    async with db.session() as s:
        return list((await s.scalars(select(model).order_by(*order or (model.id,)))).all())


async def counts(db) -> tuple[int, int, int]:
    return (await count(db, Follow), await count(db, Activity), await count(db, Job))


async def run_worker(node: FastAPI, settings, db) -> None:
    state = node.state
    worker = Worker(settings, db, state.fetcher, signer=state.node_signer, deliverer=None)
    await worker.run_once(datetime.now(UTC))


async def store_incoming(db, body: dict[str, Any], inbox: str) -> None:
    """An activity as the inbox edge leaves it: verified and stored, waiting for the worker."""
    moment = datetime.now(UTC)
    async with db.session() as s, s.begin():
        s.add(InboxMessage(
            activity_uri=body["id"], inbox=inbox, actor_uri=body["actor"],
            activity_type=body["type"], body=body, received_at=moment, state="pending",
            run_at=moment, attempts=0,
        ))  # fmt: skip


async def test_following_a_mastodon_actor_by_handle_is_pending_until_its_accept(
    api, node, db, settings, world, admin
) -> None:
    anna = await make_member(db, settings, "anna")
    response = await api.post(
        f"{API}/anna/following", json={"target": "@alice@mastodon.example"}, headers=admin
    )
    assert response.status_code == 201
    assert response.json() == {"target": ALICE, "state": "pending"}
    assert (
        "https://mastodon.example/.well-known/webfinger?resource=acct:alice@mastodon.example"
        in (world.fetched())
    )
    actor_fetch = next(r for r in world.requests if str(r.url) == ALICE)
    assert 'keyId="https://se.smart.test/actor#main-key"' in actor_fetch.headers["signature"]
    [row] = await rows(db, Follow)
    [sent] = await rows(db, Activity)
    [job] = await rows(db, Job)
    assert (row.state, row.uri) == ("pending", sent.uri)
    assert sent.activity_type == "Follow" and sent.actor_id == anna.id
    assert (sent.document["actor"], sent.document["object"], sent.document["to"]) == (
        anna.uri,
        ALICE,
        [ALICE],
    )
    assert (job.kind, job.payload) == ("fanout", {"activity_id": sent.id})
    assert (await api.get(f"{API}/anna/following")).json()["items"] == []

    again = await api.post(f"{API}/anna/following", json={"target": ALICE}, headers=admin)
    assert again.status_code == 200 and again.json() == {"target": ALICE, "state": "pending"}
    assert await counts(db) == (1, 1, 1)

    accept = {"@context": AS, "id": f"{ALICE}#accepts/1", "type": "Accept", "actor": ALICE,
              "object": sent.uri}  # fmt: skip
    await store_incoming(db, accept, f"{anna.uri}/inbox")
    await run_worker(node, settings, db)
    [row] = await rows(db, Follow)
    assert row.state == "accepted"
    deliveries = await rows(db, Delivery)
    assert [(d.activity_id, d.inbox_uri) for d in deliveries] == [
        (sent.id, "https://mastodon.example/inbox")
    ]
    page = (await api.get(f"{API}/anna/following")).json()
    assert page["next"] is None
    [item] = page["items"]
    assert (item["actor_uri"], item["handle"], item["name"]) == (
        ALICE,
        "@alice@mastodon.example",
        "Alice Martin",
    )
    assert datetime.fromisoformat(item["since"]) == row.created_at


async def test_following_a_local_project_is_accepted_at_once_without_any_activity(
    api, db, settings, world, admin
) -> None:
    await make_member(db, settings, "anna")
    erik = await make_member(db, settings, "erik", name="Erik Berg")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    collection = f"/projects/{project.username}/followers"
    ap = {"Accept": "application/activity+json"}
    assert (await api.get(collection, headers=ap)).json()["totalItems"] == 0

    response = await api.post(
        f"{API}/erik/following", json={"target": "@malmo-opera@se.smart.test"}, headers=admin
    )
    assert response.status_code == 201
    assert response.json() == {"target": project.uri, "state": "accepted"}
    assert await counts(db) == (1, 0, 0)
    assert world.requests == []
    followers = (await api.get(f"{API}/malmo-opera/followers")).json()
    assert [(i["actor_uri"], i["handle"], i["name"]) for i in followers["items"]] == [
        (erik.uri, "@erik@se.smart.test", "Erik Berg")
    ]
    following = (await api.get(f"{API}/erik/following")).json()
    assert [i["handle"] for i in following["items"]] == ["@malmo-opera@se.smart.test"]
    assert (await api.get(collection, headers=ap)).json()["totalItems"] == 1


async def test_identical_follows_at_the_same_instant_make_one_follow_and_no_error(
    api, db, settings, world, admin
) -> None:
    await make_member(db, settings, "anna")
    await make_member(db, settings, "erik")
    project = await make_project(db, settings, "Malmö Opera", "anna")

    async def follow_once() -> httpx.Response:
        return await api.post(f"{API}/erik/following", json={"target": project.uri}, headers=admin)

    responses = await asyncio.gather(*(follow_once() for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert {r.json()["state"] for r in responses} == {"accepted"}
    assert await counts(db) == (1, 0, 0)


async def test_unfollowing_a_remote_actor_sends_undo_embedding_the_original_follow(
    api, db, settings, world, admin
) -> None:
    anna = await make_member(db, settings, "anna")
    await api.post(
        f"{API}/anna/following", json={"target": "alice@mastodon.example"}, headers=admin
    )
    [follow] = await rows(db, Activity)
    fetched = len(world.requests)

    response = await api.delete(
        f"{API}/anna/following", params={"target": "@alice@mastodon.example"}, headers=admin
    )
    assert response.status_code == 204 and response.content == b""
    assert len(world.requests) == fetched  # the stored follow named the actor; no WebFinger
    assert await count(db, Follow) == 0
    undo = (await rows(db, Activity))[-1]
    original = {k: v for k, v in follow.document.items() if k != "@context"}
    assert undo.activity_type == "Undo" and undo.actor_id == anna.id
    assert (undo.document["object"], undo.document["to"]) == (original, [ALICE])
    assert [j.payload["activity_id"] for j in await rows(db, Job)] == [follow.id, undo.id]

    again = await api.delete(f"{API}/anna/following", params={"target": ALICE}, headers=admin)
    assert again.status_code == 404 and again.json()["code"] == "not_found"
    assert await counts(db) == (0, 2, 2)


async def test_follow_requests_are_listed_to_admins_and_answered_with_accept_or_reject(
    api, db, settings, world, admin
) -> None:
    anna = await make_member(db, settings, "anna", manually_approves_followers=True)
    for actor in (ALICE, BOB):
        await receive(db, settings, world, follow_activity(actor, anna.uri))
    assert await counts(db) == (2, 0, 0)
    assert (await api.get(f"{API}/anna/follow-requests")).status_code == 401
    assert (await api.get(f"{API}/anna/followers")).json()["items"] == []
    waiting = (await api.get(f"{API}/anna/follow-requests", headers=admin)).json()
    assert [i["actor_uri"] for i in waiting["items"]] == [ALICE, BOB]

    accepted = await api.post(
        f"{API}/anna/follow-requests/accept", json={"follower": ALICE}, headers=admin
    )
    assert accepted.status_code == 200
    assert accepted.json()["actor_uri"] == ALICE
    assert accepted.json()["handle"] == "@alice@mastodon.example"
    rejected = await api.post(
        f"{API}/anna/follow-requests/reject", json={"follower": BOB}, headers=admin
    )
    assert rejected.status_code == 204

    follows = await rows(db, Follow)
    assert [(f.uri, f.state) for f in follows] == [(f"{ALICE}#follows/1", "accepted")]
    answers = await rows(db, Activity)
    assert [(a.activity_type, a.document["to"]) for a in answers] == [
        ("Accept", [ALICE]),
        ("Reject", [BOB]),
    ]
    assert answers[0].document["object"]["id"] == f"{ALICE}#follows/1"
    assert answers[1].document["object"]["id"] == f"{BOB}#follows/1"
    assert sorted(j.payload["activity_id"] for j in await rows(db, Job)) == [a.id for a in answers]
    followers = (await api.get(f"{API}/anna/followers")).json()["items"]
    assert [i["actor_uri"] for i in followers] == [ALICE]
    assert (await api.get(f"{API}/anna/follow-requests", headers=admin)).json()["items"] == []
    twice = await api.post(
        f"{API}/anna/follow-requests/accept", json={"follower": ALICE}, headers=admin
    )
    assert twice.status_code == 404 and "no pending follow request" in twice.json()["error"]


async def test_lists_are_keyset_paged_oldest_first(api, db, settings, admin) -> None:
    await make_member(db, settings, "erik")
    names = ["anna", "bea", "carl"]
    for name in names:
        await make_member(db, settings, name)
        response = await api.post(
            f"{API}/erik/following", json={"target": f"@{name}@se.smart.test"}, headers=admin
        )
        assert response.status_code == 201
    seen: list[str] = []
    url: str | None = f"{API}/erik/following?limit=2"
    while url is not None:
        page = (await api.get(url)).json()
        seen += [item["handle"] for item in page["items"]]
        url = page["next"]
        assert url is None or url.startswith(f"{settings.base_url}{API}/erik/following?")
    assert seen == [f"@{name}@se.smart.test" for name in names]
    bad = await api.get(f"{API}/erik/following", params={"after": "x"})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_failed"


def _writes(target: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", f"{API}/anna/following", {"json": {"target": target}}),
        ("DELETE", f"{API}/anna/following", {"params": {"target": target}}),
        ("POST", f"{API}/anna/follow-requests/accept", {"json": {"follower": target}}),
        ("POST", f"{API}/anna/follow-requests/reject", {"json": {"follower": target}}),
        ("GET", f"{API}/anna/follow-requests", {}),
    ]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token-we-made"}])
async def test_without_an_admin_token_nothing_is_fetched_or_stored(
    api, db, settings, world, headers
) -> None:
    anna = await make_member(db, settings, "anna", manually_approves_followers=True)
    await receive(db, settings, world, follow_activity(ALICE, anna.uri))
    world.requests.clear()
    for method, path, options in _writes(ALICE):
        response = await api.request(method, path, headers=headers, **options)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["code"] == "unauthorized"
    assert world.requests == []
    [row] = await rows(db, Follow)
    assert row.state == "pending"
    assert (await count(db, Activity), await count(db, Job)) == (0, 0)


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [
        ("not a handle", 400, "not a handle"),
        ("@mallory@blocked.example", 403, "blocked"),
        ("https://spam.blocked.example/users/mallory", 403, "blocked"),
        ("@nobody@mastodon.example", 404, "no actor found"),
        ("https://mastodon.example/users/nobody", 404, "no actor found"),
        ("@zed@down.example", 502, "503"),
        ("@anna@se.smart.test", 400, "cannot follow itself"),
        ("", 422, "target"),
    ],
)
async def test_bad_targets_are_refused_and_leave_no_rows(
    api, db, settings, world, admin, target, status, message
) -> None:
    await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        s.add(DomainBlock(domain="blocked.example", reason="", created_at=datetime.now(UTC)))
    world.documents["webfinger down.example acct:zed@down.example"] = (503, {}, "text/plain")
    response = await api.post(f"{API}/anna/following", json={"target": target}, headers=admin)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert await counts(db) == (0, 0, 0)
    async with db.session() as s:
        assert (await s.scalars(select(Actor.uri).where(Actor.local.is_(False)))).all() == []
    assert not any("blocked.example" in url for url in world.fetched())


async def test_unknown_and_deleted_actors_are_404_and_410(api, db, settings, admin) -> None:
    await make_member(db, settings, "gone")
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "gone", datetime.now(UTC))
    body = {"target": ALICE}
    nobody = await api.post(f"{API}/nobody/following", json=body, headers=admin)
    assert nobody.status_code == 404 and "nobody" in nobody.json()["error"]
    assert (await api.post(f"{API}/gone/following", json=body, headers=admin)).status_code == 410
    assert (await api.get(f"{API}/gone/followers")).status_code == 410
    assert (await api.get(f"{API}/nobody/following")).status_code == 404
    assert await counts(db) == (0, 0, 0)


async def test_openapi_lists_the_follow_routes_with_bearer_auth(api) -> None:
    paths = (await api.get("/api/smart/v1/openapi.json")).json()["paths"]
    assert set(paths[f"{API}/{{username}}/following"]) == {"get", "post", "delete"}
    assert set(paths[f"{API}/{{username}}/followers"]) == {"get"}
    assert set(paths[f"{API}/{{username}}/follow-requests"]) == {"get"}
    for answer in ("accept", "reject"):
        operation = paths[f"{API}/{{username}}/follow-requests/{answer}"]["post"]
        assert operation["security"] and "401" in operation["responses"]
    follow = paths[f"{API}/{{username}}/following"]["post"]
    assert {"200", "201", "403", "404", "502"} <= set(follow["responses"])
