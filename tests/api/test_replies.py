"""GET <object>/replies: our notes, events and calls link their replies collection, which lists
the public and unlisted replies we store (local and remote, live ones) in stable keyset pages,
and answers as its object does (404 to those who may not read it, 410 once it is deleted)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.matching.curated import load_seed
from smartnode.storage.models import ContentObject
from tests.api.test_v1_calls import body as call_body
from tests.api.threads import (
    ALICE,
    AP,
    MALLORY,
    post,
    remote_reply,
    signed,
)
from tests.api.threads import (
    world as make_world,
)
from tests.conftest import make_member, make_project
from tests.content import activity, add_follower, member_headers, node_client
from tests.inbox import Fediverse, receive

AP_TYPE = "application/activity+json; charset=utf-8"


@pytest.fixture
def world() -> Fediverse:
    return make_world()


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def members(db, settings):
    anna = await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    return {"anna": await member_headers(db, anna), "bo": await member_headers(db, bo),
            "anna_row": anna}  # fmt: skip


def path_of(uri: str) -> str:
    return "/" + uri.split("/", 3)[3]


async def walk(api: httpx.AsyncClient, url: str) -> list[str]:
    """Every item from `url` on, following `next`."""
    items: list[str] = []
    while url:
        page = (await api.get(url, headers=AP)).json()
        items += page["orderedItems"]
        url = page.get("next", "")
    return items


async def test_a_note_links_its_replies_which_list_public_and_unlisted_only(
    api, db, settings, world, members
) -> None:
    parent = await post(api, members["anna"], "anna", content="Vem kommer?")
    replies_uri = parent["uri"] + "/replies"
    note = (await api.get(path_of(parent["uri"]), headers=AP)).json()
    assert note["replies"] == {  # Interop: GoToSocial reads only an embedded first page
        "id": replies_uri, "type": "OrderedCollection",
        "first": {"type": "OrderedCollectionPage", "partOf": replies_uri, "orderedItems": [],
                  "next": replies_uri + "?page=true"},
    }  # fmt: skip
    public = await remote_reply(db, settings, world, 1, parent["uri"])
    unlisted = await remote_reply(db, settings, world, 2, parent["uri"], visibility="unlisted")
    await remote_reply(db, settings, world, 3, parent["uri"], visibility="followers")
    await remote_reply(db, settings, world, 4, parent["uri"], visibility="direct",
                       to=[members["anna_row"].uri])  # fmt: skip
    local = await post(api, members["bo"], "bo", content="Jag!", in_reply_to=parent["uri"])
    await post(api, members["bo"], "bo", content="Bara följare", visibility="followers",
               in_reply_to=parent["uri"])  # fmt: skip
    gone = await post(api, members["bo"], "bo", content="Ångrar mig", in_reply_to=parent["uri"])
    await api.delete(f"/api/smart/v1/posts/{gone['id']}", headers=members["bo"])
    async with db.session() as s:
        stored = await s.scalars(
            select(ContentObject.visibility).where(ContentObject.in_reply_to_uri == parent["uri"])
        )
        assert sorted(stored.all()) == ["direct", "followers", "followers", "public", "public",
                                        "public", "unlisted"]  # fmt: skip

    root = await api.get(replies_uri, headers={"Accept": "*/*"})
    assert root.status_code == 200 and root.headers["content-type"] == AP_TYPE
    doc = root.json()
    assert doc["id"] == replies_uri == str(root.url)
    assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 3
    assert doc["first"] == replies_uri + "?page=true"
    first = (await api.get(doc["first"], headers=AP)).json()
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == replies_uri
    assert first["orderedItems"] == [local["uri"], unlisted, public]  # newest first
    assert "next" not in first and "prev" not in first
    again = (await api.get(path_of(parent["uri"]), headers=AP)).json()
    assert again["replies"] == note["replies"]  # the document stays the same as replies arrive


async def test_pages_are_keyset_stable_while_replies_arrive(db, settings, world, members) -> None:
    small = settings.model_copy(update={"collection_page_size": 2})
    async with node_client(small, world) as api:
        parent = await post(api, members["anna"], "anna", content="Tråd")
        made = [await remote_reply(db, small, world, n, parent["uri"]) for n in range(1, 6)]
        replies = parent["uri"] + "/replies"
        first = (await api.get(replies + "?page=true", headers=AP)).json()
        assert first["orderedItems"] == [made[4], made[3]]
        late = await remote_reply(db, small, world, 6, parent["uri"])  # arrives mid-walk
        rest = await walk(api, first["next"])
        assert rest == [made[2], made[1], made[0]]  # no repeats, nothing skipped
        second = (await api.get(first["next"], headers=AP)).json()
        newer = (await api.get(second["prev"], headers=AP)).json()
        assert newer["orderedItems"] == [made[4], made[3]] and "prev" in newer
        assert (await walk(api, replies + "?page=true")) == [late, *reversed(made)]
        last = await api.get((await api.get(replies, headers=AP)).json()["last"], headers=AP)
        assert last.json()["orderedItems"] == [made[1], made[0]]
        bad = await api.get(replies + "?max_id=-1", headers=AP)
        assert bad.status_code == 400


async def test_a_followers_only_parent_is_404_to_strangers_and_served_to_followers(
    api, db, settings, world, members
) -> None:
    parent = await post(api, members["anna"], "anna", content="Privat", visibility="followers")
    url = parent["uri"] + "/replies"
    await remote_reply(db, settings, world, 1, parent["uri"],
                       visibility="direct", to=[members["anna_row"].uri])  # fmt: skip
    assert (await api.get(path_of(url), headers=AP)).status_code == 404
    assert (await api.get(path_of(url), headers=signed(url))).status_code == 404  # no follow yet
    await add_follower(db, members["anna_row"], ALICE)
    allowed = await api.get(path_of(url), headers=signed(url))
    assert allowed.status_code == 200 and allowed.json()["totalItems"] == 0  # the DM stays out
    assert allowed.headers["cache-control"] == "private, no-store"
    assert (await api.get(path_of(url), headers=signed(url, MALLORY))).status_code == 404
    assert (await api.get("/notes/0123456789abcdef/replies", headers=AP)).status_code == 404
    assert (await api.get("/notes/NOT-HEX/replies", headers=AP)).status_code == 404


async def test_a_deleted_parent_answers_410_with_a_tombstone(api, db, settings, members) -> None:
    parent = await post(api, members["anna"], "anna", content="Snart borta")
    await api.delete(f"/api/smart/v1/posts/{parent['id']}", headers=members["anna"])
    gone = await api.get(path_of(parent["uri"]) + "/replies", headers=AP)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["id"] == parent["uri"] + "/replies"


async def test_a_deleted_remote_reply_leaves_the_collection(
    api, db, settings, world, members
) -> None:
    parent = await post(api, members["anna"], "anna", content="Hej")
    reply = await remote_reply(db, settings, world, 1, parent["uri"])
    assert (await receive(db, settings, world, activity("Delete", ALICE, reply))).status == (
        "processed"
    )
    doc = (await api.get(path_of(parent["uri"]) + "/replies", headers=AP)).json()
    assert doc["totalItems"] == 0


async def test_authorized_fetch_needs_a_signature_for_replies(db, settings, world, members) -> None:
    locked = settings.model_copy(update={"authorized_fetch": True})
    async with node_client(locked, world) as api:
        parent = await post(api, members["anna"], "anna", content="Hej")
        url = parent["uri"] + "/replies"
        assert (await api.get(path_of(url), headers=AP)).status_code == 401
        assert (await api.get(path_of(url), headers=signed(url))).status_code == 200


async def test_events_and_calls_serve_their_replies_too(api, db, settings, world, members) -> None:
    start = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    created = await api.post(
        "/api/smart/v1/actors/anna/events", headers=members["anna"],
        json={"name": "Jazzkväll", "content": "Kom!", "starts_at": start.isoformat(),
              "timezone": "Europe/Stockholm", "online_url": "https://meet.example/jazz"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    event = created.json()
    doc = (await api.get(path_of(event["uri"]), headers=AP)).json()
    assert doc["type"] == "Event" and doc["replies"]["id"] == event["uri"] + "/replies"
    reply = await remote_reply(db, settings, world, 1, event["uri"])
    page = (await api.get(doc["replies"]["id"] + "?page=true", headers=AP)).json()
    assert page["orderedItems"] == [reply]
    missing = await api.get("/calls/0123456789abcdef/replies", headers=AP)
    assert missing.status_code == 404


async def test_a_call_links_and_serves_its_public_replies(api, db, settings, world) -> None:
    async with db.session() as s, s.begin():
        await load_seed(s, datetime.now(UTC))
    anna = await make_member(db, settings, "anna")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    headers = await member_headers(db, anna)
    created = await api.post(f"/api/smart/v1/actors/{project.username}/calls", json=call_body(),
                             headers=headers)  # fmt: skip
    assert created.status_code == 201, created.text
    call = created.json()
    doc = (await api.get(path_of(call["uri"]), headers=AP)).json()
    assert doc["replies"]["id"] == call["uri"] + "/replies"
    public = await remote_reply(db, settings, world, 1, call["uri"])
    await remote_reply(
        db, settings, world, 2, call["uri"], visibility="direct", to=[project.uri]
    )  # an application by direct reply stays out
    page = (await api.get(doc["replies"]["id"] + "?page=true", headers=AP)).json()
    assert page["orderedItems"] == [public]
