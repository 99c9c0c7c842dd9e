"""A person of another node is shown by their own handle everywhere (the port kept, the
WebFinger domain when it differs from their host): project page, teams API, notifications,
search, the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.actors.resolve import FetchingResolver
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_search import SearchDocument
from tests.api.test_v1_auth import admin_headers
from tests.conftest import Invoke, make_member, make_project
from tests.content import member_headers
from tests.inbox import AS, Fediverse, receive

LOTTE = "https://be.smart.test:8443/members/lotte"
ALICE = "https://social.example/users/alice"
OPERA = "https://se.smart.test/projects/opera"
LOTTE_HANDLE = "@lotte@be.smart.test:8443"


def _world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(LOTTE, name="Lotte Vermeulen", discoverable=True)
    fediverse.actor(ALICE, name="Alice Andersson")  # her handle is on example.com
    fediverse.finger("alice@social.example", ALICE, subject="acct:alice@example.com")
    fediverse.finger("alice@example.com", ALICE)
    return fediverse


@pytest.fixture
def world() -> Fediverse:
    return _world()


@pytest.fixture
async def api(settings, db, world: Fediverse) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(
        settings, outbound_transport=httpx.MockTransport(world.handle)
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as c:
            yield c


def _join(actor: str, n: int = 1) -> dict[str, object]:
    host = actor.split("/members/")[0].split("/users/")[0]
    return {"@context": AS, "id": f"{host}/activities/join-{n}", "type": "Join",
            "actor": actor, "object": OPERA}  # fmt: skip


async def test_a_remote_team_member_shows_with_their_port_on_page_api_and_notifications(
    api, db, settings, world
) -> None:
    anna = await make_member(db, settings, "anna")
    await make_project(db, settings, "Opera", "anna", slug="opera")
    headers = await member_headers(db, anna)
    now = datetime.now(UTC)
    assert (await receive(db, settings, world, _join(LOTTE), now=now)).status == "processed"

    [notice] = (await api.get("/api/smart/v1/notifications", headers=headers)).json()["items"]
    assert notice["data"]["actor"] == LOTTE
    assert notice["handles"] == {LOTTE: LOTTE_HANDLE, OPERA: "@opera@se.smart.test"}

    [request] = (await api.get("/api/smart/v1/projects/opera/requests", headers=headers)).json()[
        "items"
    ]
    assert (request["actor_handle"], request["project_handle"]) == (
        LOTTE_HANDLE, "@opera@se.smart.test",
    )  # fmt: skip
    path = f"/api/smart/v1/projects/opera/requests/{request['id']}/accept"
    assert (await api.post(path, headers=headers)).status_code == 200

    listed = (await api.get("/api/smart/v1/teams", params={"project": OPERA})).json()
    handles = {t["actor_uri"]: t["handle"] for t in listed["team"]}
    assert handles == {anna.uri: "@anna@se.smart.test", LOTTE: LOTTE_HANDLE}
    detail = (await api.get("/api/smart/v1/projects/opera")).json()
    assert {t["handle"] for t in detail["team"]} == {"@anna@se.smart.test", LOTTE_HANDLE}

    page = (await api.get("/projects/opera", headers={"Accept": "text/html"})).text
    assert f'<span class="handle">{LOTTE_HANDLE}</span>' in page
    assert "@lotte@se.smart.test" not in page and "@lotte@be.smart.test<" not in page


async def test_a_remote_person_is_shown_by_the_webfinger_domain_when_it_differs(
    api, db, settings, world
) -> None:
    anna = await make_member(db, settings, "anna")
    await make_project(db, settings, "Opera", "anna", slug="opera")
    headers = await member_headers(db, anna)
    now = datetime.now(UTC)
    assert (await receive(db, settings, world, _join(ALICE), now=now)).status == "processed"
    [notice] = (await api.get("/api/smart/v1/notifications", headers=headers)).json()["items"]
    assert notice["handles"][ALICE] == "@alice@example.com"
    [request] = (await api.get("/api/smart/v1/projects/opera/requests", headers=headers)).json()[
        "items"
    ]
    assert request["actor_handle"] == "@alice@example.com"


async def test_follow_lists_show_the_port_and_a_handle_with_a_port_finds_a_stored_follow(
    api, db, settings, world
) -> None:
    await make_member(db, settings, "anna")
    admin = await admin_headers(db)
    follow = {"@context": AS, "id": f"{LOTTE}#follows/1", "type": "Follow", "actor": LOTTE,
              "object": "https://se.smart.test/members/anna"}  # fmt: skip
    assert (await receive(db, settings, world, follow)).status == "processed"
    followers = (await api.get("/api/smart/v1/actors/anna/followers")).json()
    assert [r["handle"] for r in followers["items"]] == [LOTTE_HANDLE]

    made = await api.post(
        "/api/smart/v1/actors/anna/following", json={"target": LOTTE}, headers=admin
    )
    assert made.status_code == 201 and made.json()["state"] == "pending"
    asked = len(world.requests)
    params = {"target": LOTTE_HANDLE}
    ended = await api.delete("/api/smart/v1/actors/anna/following", params=params, headers=admin)
    assert ended.status_code == 204
    assert world.fetched()[asked:] == []  # matched among the stored follows, port and all


async def test_a_remote_persons_search_document_carries_their_handle(db, settings, world) -> None:
    async with world.fetcher(settings) as fetcher, db.session() as s, s.begin():
        resolver = FetchingResolver(s, node_uris(settings), fetcher, now=datetime.now(UTC))
        assert await resolver.actor(LOTTE) is not None  # discoverable: indexed
    async with db.session() as s:
        body = await s.scalar(select(SearchDocument.body).where(SearchDocument.uri == LOTTE))
    assert body is not None and body.split()[0] == LOTTE_HANDLE


def test_the_cli_shows_the_remote_handle_with_its_port(
    smartnode: Invoke, settings: Settings
) -> None:
    assert smartnode("member", "create", "anna", "--name", "Anna").exit_code == 0
    asyncio.run(_resolve_now(settings, LOTTE))
    result = smartnode("follow", "anna", LOTTE)
    assert result.exit_code == 0, result.output
    assert f"anna asked to follow {LOTTE_HANDLE};" in result.stdout


async def _resolve_now(settings: Settings, uri: str) -> None:
    """Arrange: the remote actor stored as a resolver fetched it just now (the CLI reuses it)."""
    database = Database(settings)
    try:
        async with _world().fetcher(settings) as fetcher, database.session() as s, s.begin():
            resolver = FetchingResolver(s, node_uris(settings), fetcher, now=datetime.now(UTC))
            assert await resolver.actor(uri) is not None
    finally:
        await database.dispose()
