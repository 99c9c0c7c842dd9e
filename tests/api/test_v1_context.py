"""GET /api/smart/v1/{posts,events,calls}/{token}/context: the posts an object answers and the
replies
beneath it, local and remote, as Mastodon's status context; bounded walks; only what the
caller may read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.content.threads import Reader, ancestors, descendants
from smartnode.storage.models import ContentObject
from tests.api.threads import ALICE, post, remote_reply
from tests.api.threads import world as make_world
from tests.conftest import make_member
from tests.content import member_headers, node_client
from tests.inbox import Fediverse


@pytest.fixture
def world() -> Fediverse:
    return make_world()


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def members(db, settings):
    anna = await make_member(db, settings, "anna", name="Anna Lind")
    bo = await make_member(db, settings, "bo")
    return {"anna": await member_headers(db, anna), "bo": await member_headers(db, bo),
            "anna_row": anna}  # fmt: skip


async def context(api, token: str, headers: dict | None = None, kind: str = "posts"):
    return await api.get(f"/api/smart/v1/{kind}/{token}/context", headers=headers or {})


def uris(items: list[dict]) -> list[str]:
    return [item["uri"] for item in items]


async def test_descendants_are_breadth_first_and_ancestors_root_first(
    api, db, settings, world, members
) -> None:
    root = await post(api, members["anna"], "anna", content="Vem spelar?")
    later = await remote_reply(db, settings, world, 9, root["uri"], visibility="unlisted")
    first = await remote_reply(db, settings, world, 1, root["uri"])
    deep = await post(api, members["bo"], "bo", content="Jag <b>också</b>", in_reply_to=first)
    await remote_reply(db, settings, world, 5, root["uri"], visibility="followers")

    response = await context(api, root["id"])
    assert response.status_code == 200
    body = response.json()
    assert body["ancestors"] == []
    assert uris(body["descendants"]) == [first, later, deep["uri"]]
    alice = body["descendants"][0]
    assert alice["author"] == {"uri": ALICE, "name": "Alice Martin",
                               "handle": "@alice@mastodon.example", "url": ALICE}  # fmt: skip
    assert alice["content"] == "<p>Reply 1</p>" and alice["in_reply_to"] == root["uri"]
    assert alice["url"] == "https://mastodon.example/@alice/1" and alice["type"] == "Note"
    assert alice["published_at"].startswith("2026-11-26T10:01:00")
    bo = body["descendants"][2]
    assert bo["author"]["handle"] == f"@bo@{settings.domain}" and bo["in_reply_to"] == first
    assert bo["content"] == "<p>Jag &lt;b&gt;också&lt;/b&gt;</p>" and bo["url"] == deep["uri"]

    up = (await context(api, deep["id"])).json()
    assert uris(up["ancestors"]) == [root["uri"], first] and up["descendants"] == []


async def test_what_is_not_open_shows_only_to_the_member_it_is_for(
    api, db, settings, world, members
) -> None:
    root = await post(api, members["anna"], "anna", content="Hej")
    dm = await remote_reply(db, settings, world, 1, root["uri"], visibility="direct",
                            to=[members["anna_row"].uri])  # fmt: skip
    own = await post(api, members["anna"], "anna", content="Till följare",
                     visibility="followers", in_reply_to=root["uri"])  # fmt: skip
    assert (await context(api, root["id"])).json()["descendants"] == []
    assert (await context(api, root["id"], members["bo"])).json()["descendants"] == []
    seen = (await context(api, root["id"], members["anna"])).json()["descendants"]
    assert sorted(uris(seen)) == sorted([dm, own["uri"]])
    bad = await context(api, root["id"], {"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")


async def test_a_non_public_post_is_404_to_others_and_a_deleted_one_410(
    api, db, settings, members
) -> None:
    private = await post(api, members["anna"], "anna", content="Privat", visibility="followers")
    assert (await context(api, private["id"])).status_code == 404
    assert (await context(api, private["id"], members["bo"])).status_code == 404
    assert (await context(api, private["id"], members["anna"])).status_code == 200
    gone = await post(api, members["anna"], "anna", content="Borta")
    await api.delete(f"/api/smart/v1/posts/{gone['id']}", headers=members["anna"])
    assert (await context(api, gone["id"])).status_code == 410
    assert (await context(api, "0123456789abcdef")).status_code == 404
    assert (await context(api, "NOT-HEX")).status_code == 422


async def test_walks_are_bounded_and_survive_a_loop(api, db, settings, world, members) -> None:
    root = await post(api, members["anna"], "anna", content="0")
    chain = [root]
    for n in range(1, 6):
        chain.append(await post(api, members["anna"], "anna", content=str(n),
                                in_reply_to=chain[-1]["uri"]))  # fmt: skip
    async with db.session() as s:
        rows = {o.uri: o for o in (await s.scalars(select(ContentObject))).all()}
        top, bottom = rows[root["uri"]], rows[chain[-1]["uri"]]
        up = await ancestors(s, bottom, Reader(), depth=3)
        down = await descendants(s, top, Reader(), limit=4)
    assert [o.uri for o, _ in up] == [c["uri"] for c in chain[2:5]]  # the nearest three
    assert [o.uri for o, _ in down] == [c["uri"] for c in chain[1:5]]
    # alice's two notes answer each other; our reply to one of them still has a finite thread
    loop_a, loop_b = f"{ALICE}/statuses/11", f"{ALICE}/statuses/12"
    cc = [members["anna_row"].uri]
    await remote_reply(db, settings, world, 11, loop_b, cc=cc)
    await remote_reply(db, settings, world, 12, loop_a, cc=cc)
    ours = await post(api, members["anna"], "anna", content="Slinga", in_reply_to=loop_a)
    assert uris((await context(api, ours["id"])).json()["ancestors"]) == [loop_b, loop_a]


async def test_events_have_a_context_too(api, db, settings, world, members) -> None:
    start = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    created = await api.post(
        "/api/smart/v1/actors/anna/events", headers=members["anna"],
        json={"name": "Jazzkväll", "content": "Kom!", "starts_at": start.isoformat(),
              "timezone": "Europe/Stockholm", "online_url": "https://meet.example/jazz"},
    )  # fmt: skip
    event = created.json()
    reply = await remote_reply(db, settings, world, 1, event["uri"])
    body = (await context(api, event["id"], kind="events")).json()
    assert uris(body["descendants"]) == [reply] and body["ancestors"] == []
    assert (await context(api, event["id"], kind="calls")).status_code == 404
