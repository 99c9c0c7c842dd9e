"""Collections (PROTOCOL.md "Serving objects"): roots with totals, keyset pages, accepted only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from smartnode.actors.members import delete_actor
from smartnode.actors.projects import Role, add_to_team
from smartnode.actors.records import find_local_actor
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.uris import ActorKind
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, Follow
from tests.conftest import make_member, make_project

AS_JSON = "application/activity+json"
BASE = "https://se.smart.test"


async def get_json(client: httpx.AsyncClient, url: str, status: int = 200) -> dict:
    response = await client.get(url, headers={"Accept": AS_JSON})
    assert response.status_code == status, response.text
    wanted = "application/activity+json; charset=utf-8" if status == 200 else "application/json"
    assert response.headers["content-type"] == wanted
    assert response.headers["vary"] == "Accept"
    return response.json()


async def remote_followers(
    db: Database, followed: str, count: int, *, state: str = "accepted", prefix: str = "r"
) -> list[str]:
    """`count` remote actors following a local actor; their URIs in following order."""
    now = datetime.now(UTC)
    uris = [f"https://mastodon.test/users/{prefix}{n}" for n in range(count)]
    async with db.session() as s, s.begin():
        target = await find_local_actor(s, followed)
        assert target is not None
        for uri in uris:
            actor = Actor(
                uri=uri,
                local=False,
                kind="remote",
                ap_type="Person",
                username=uri.rsplit("/", 1)[1],
                domain="mastodon.test",
                public_key_pem="",
                created_at=now,
                updated_at=now,
            )
            s.add(actor)
            await s.flush()
            s.add(Follow(follower_id=actor.id, followed_id=target.id, state=state, created_at=now))
    return uris


async def walk(client: httpx.AsyncClient, collection: str) -> tuple[dict, list[dict]]:
    """The root and every page reached by following `next` from `first`."""
    root = await get_json(client, collection)
    pages, url = [], root["first"]
    while url:
        page = await get_json(client, url)
        assert page["type"] == "OrderedCollectionPage"
        assert page["id"] == url
        assert page["partOf"] == collection
        pages.append(page)
        url = page.get("next")
        assert len(pages) < 50, "next links loop"
    return root, pages


async def test_followers_are_paged_by_keyset_to_the_end_without_gaps(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    size = settings.collection_page_size
    followers = await remote_followers(db, "anna", 2 * size + 5)
    await remote_followers(db, "anna", 3, state="pending", prefix="p")
    root, pages = await walk(client, f"{BASE}/members/anna/followers")
    assert root["type"] == "OrderedCollection"
    assert root["totalItems"] == len(followers)
    assert "orderedItems" not in root and "items" not in root  # a root gives totals and links
    assert [len(p["orderedItems"]) for p in pages] == [size, size, 5]
    seen = [item for page in pages for item in page["orderedItems"]]
    assert seen == list(reversed(followers))  # newest first, none missing, none twice
    assert "prev" not in pages[0] and "next" not in pages[-1]
    assert all("prev" in page for page in pages[1:])


async def test_prev_links_walk_back_to_the_newer_pages(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    size = settings.collection_page_size
    await remote_followers(db, "anna", 2 * size + 5)
    _, pages = await walk(client, f"{BASE}/members/anna/followers")
    back = await get_json(client, pages[2]["prev"])
    assert back["orderedItems"] == pages[1]["orderedItems"]
    newest = await get_json(client, back["prev"])
    assert newest["orderedItems"] == pages[0]["orderedItems"]
    assert "prev" not in newest


async def test_last_page_holds_the_oldest_items(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    size = settings.collection_page_size
    followers = await remote_followers(db, "anna", size + 3)
    root = await get_json(client, f"{BASE}/members/anna/followers")
    last = await get_json(client, root["last"])
    assert last["orderedItems"] == list(reversed(followers[:size]))
    assert "next" not in last
    newer = await get_json(client, last["prev"])
    assert newer["orderedItems"] == list(reversed(followers[size:]))
    assert "prev" not in newer


async def test_pending_follows_and_deleted_followers_are_never_shown(client, db, settings) -> None:
    """Only accepted follows are public facts; every page URL applies the same rule."""
    await make_member(db, settings, "anna")
    await make_member(db, settings, "bo")
    accepted = await remote_followers(db, "anna", 2)
    await remote_followers(db, "anna", 2, state="pending", prefix="p")
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        anna = await find_local_actor(s, "anna")
        bo = await find_local_actor(s, "bo")
        assert anna is not None and bo is not None
        s.add(Follow(follower_id=bo.id, followed_id=anna.id, state="accepted", created_at=now))
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "bo", now)
    collection = f"{BASE}/members/anna/followers"
    root = await get_json(client, collection)
    assert root["totalItems"] == 2
    urls = [root["first"], root["last"], f"{collection}?page=true&max_id=999999",
            f"{collection}?page=true&min_id=0", f"{collection}?max_id=999999"]  # fmt: skip
    for url in urls:
        items = (await get_json(client, url))["orderedItems"]
        assert sorted(items) == sorted(accepted), url


async def test_following_lists_accepted_follows_of_the_actor(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await make_member(db, settings, "bo")
    await make_member(db, settings, "cleo")
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        anna, bo, cleo = [await find_local_actor(s, n) for n in ("anna", "bo", "cleo")]
        assert anna is not None and bo is not None and cleo is not None
        s.add(Follow(follower_id=anna.id, followed_id=bo.id, state="accepted", created_at=now))
        s.add(Follow(follower_id=anna.id, followed_id=cleo.id, state="pending", created_at=now))
    root = await get_json(client, f"{BASE}/members/anna/following")
    assert root["totalItems"] == 1
    page = await get_json(client, root["first"])
    assert page["orderedItems"] == [f"{BASE}/members/bo"]
    bo_followers = await get_json(client, f"{BASE}/members/bo/followers?page=true")
    assert bo_followers["orderedItems"] == [f"{BASE}/members/anna"]


@pytest.mark.parametrize("path", ["/actor", "/members/anna", "/projects/malmo-opera"])
async def test_outbox_is_truthfully_empty_and_featured_is_an_empty_list(
    client, db, settings, path
) -> None:
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Malmö Opera", coordinator="anna")
    outbox = await get_json(client, f"{BASE}{path}/outbox")
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 0
    first = await get_json(client, outbox["first"])
    assert first["orderedItems"] == [] and "next" not in first and "prev" not in first
    featured = await get_json(client, f"{BASE}{path}/featured")
    assert featured == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BASE}{path}/featured",
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }
    for name in ("followers", "following"):
        root = await get_json(client, f"{BASE}{path}/{name}")
        assert root["totalItems"] == 0 and root["first"] == f"{BASE}{path}/{name}?page=true"


@pytest.fixture
async def small_pages(settings: Settings, db) -> AsyncIterator[httpx.AsyncClient]:
    """The node with two items per collection page."""
    application = create_app(settings.model_copy(update={"collection_page_size": 2}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as c:
            yield c


async def test_project_members_collection_lists_the_live_team(small_pages, db, settings):
    names = ["anna", "bo", "cleo", "dan", "eva", "finn"]
    for name in names:
        await make_member(db, settings, name)
    await make_project(db, settings, "Malmö Opera", coordinator="anna")
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        project = await find_local_actor(s, "malmo-opera")
        assert project is not None
        for name in names[1:]:
            member = await find_local_actor(s, name)
            assert member is not None
            await add_to_team(s, project, member, Role.MEMBER, now)
        await delete_actor(s, ActorKind.MEMBER, "finn", now)
    root, pages = await walk(small_pages, f"{BASE}/projects/malmo-opera/members")
    assert root["totalItems"] == 5
    assert [len(p["orderedItems"]) for p in pages] == [2, 2, 1]
    seen = [item for page in pages for item in page["orderedItems"]]
    assert seen == [f"{BASE}/members/{n}" for n in reversed(names[:5])]


@pytest.mark.parametrize(
    "query",
    ["?page=true&max_id=abc", "?page=true&min_id=-1", "?max_id=1&min_id=2",
     "?page=true&max_id=99999999999999999999", "?page=true&max_id=١٢"],
)  # fmt: skip
async def test_bad_cursors_are_400(client, db, settings, query) -> None:
    await make_member(db, settings, "anna")
    body = await get_json(client, f"{BASE}/members/anna/followers{query}", status=400)
    assert body["code"] == "bad_request"


async def test_collections_of_unknown_or_deleted_actors(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await get_json(client, f"{BASE}/members/nobody/followers", status=404)
    await get_json(client, f"{BASE}/projects/anna/members", status=404)
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "anna", datetime.now(UTC))
    gone = await get_json(client, f"{BASE}/members/anna/followers", status=410)
    assert gone["code"] == "gone"
