"""/api/smart/v1/board: ordered by the calls' published time (a peer's call that arrives late sits
where it was published), or by deadline; keyset pages that neither repeat nor skip a call when
times are equal or calls arrive meanwhile; opaque cursors refused when not ours; and `q`
matching the words of a call's text, never its markup."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from smartnode.content.board import Position, cursor_in, cursor_out
from smartnode.errors import ValidationFailed
from smartnode.storage.models import Actor, ContentObject
from tests.conftest import make_member, make_project
from tests.content import activity, node_client
from tests.inbox import Fediverse, receive
from tests.inbox.test_calls_inbound import CALL, PEER, PROJECT, call_doc, node_follows
from tests.matching.feeds_arrange import call

NOW = datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(PEER, type="Application")
    fediverse.actor(PROJECT, type="Group")
    return fediverse


@pytest.fixture
async def api(settings, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def opera(db, settings) -> Actor:
    await make_member(db, settings, "anna")
    return await make_project(db, settings, "Malmö Opera", "anna")


async def peer_call(db, settings, world, **fields: Any) -> None:
    """A peer's call, received now through its node actor's Announce."""
    world.serve(CALL, call_doc(**fields))
    outcome = await receive(db, settings, world, activity("Announce", PEER, call_doc(**fields)),
                            now=NOW)  # fmt: skip
    assert outcome.status == "processed", outcome


async def board(api, **params: Any) -> list[str]:
    response = await api.get("/api/smart/v1/board", params=params)
    assert response.status_code == 200, response.text
    return [item["uri"] for item in response.json()["items"]]


async def walk(api, limit: int, between: Any = None, **params: Any) -> list[str]:
    """Every page of the board, following `next`; `between` runs after each page."""
    seen: list[str] = []
    response = await api.get("/api/smart/v1/board", params={"limit": limit, **params})
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        seen += [item["uri"] for item in page["items"]]
        if page["next"] is None:
            return seen
        if between is not None:
            await between()
        response = await api.get(page["next"])


async def test_the_board_orders_by_published_time_across_a_late_arriving_peer_call(
    db, settings, world, api, opera
) -> None:
    await node_follows(db, settings, world, PEER)
    newest = await call(db, opera, title="Newest", published_at=NOW - timedelta(hours=1),
                        closes_at=NOW + timedelta(days=60))  # fmt: skip
    oldest = await call(db, opera, title="Oldest", published_at=NOW - timedelta(hours=3),
                        closes_at=None)  # fmt: skip
    published = NOW - timedelta(hours=2)  # before `newest`, but it reaches us last
    await peer_call(db, settings, world, published=stamp(published),
                    endTime=stamp(NOW + timedelta(days=10)))  # fmt: skip

    assert await board(api) == [newest.uri, CALL, oldest.uri]
    assert await board(api, sort="closing") == [CALL, newest.uri, oldest.uri]
    edited = call_doc(published=stamp(published), updated=stamp(NOW), content="<p>Edited</p>",
                      endTime=stamp(NOW + timedelta(days=10)))  # fmt: skip
    outcome = await receive(db, settings, world, activity("Update", PROJECT, edited), now=NOW)
    assert outcome.status == "processed", outcome
    assert await board(api) == [newest.uri, CALL, oldest.uri]  # an edit moves nothing
    assert (await api.get("/api/smart/v1/board", params={"sort": "oldest"})).status_code == 422


async def test_pages_neither_repeat_nor_skip_calls_with_equal_times(db, api, opera) -> None:
    same = NOW - timedelta(hours=1)
    deadline = NOW + timedelta(days=9)
    rows = [await call(db, opera, title=f"Call {i}", published_at=same, closes_at=deadline)
            for i in range(5)]  # fmt: skip
    undated = [await call(db, opera, title=f"Open-ended {i}", published_at=same - timedelta(1),
                          closes_at=None) for i in range(2)]  # fmt: skip
    newest_first = [r.uri for r in reversed(rows)] + [r.uri for r in reversed(undated)]

    arrived: list[str] = []

    async def arrivals() -> None:  # one newer, one with the same time: both before the cursor
        if not arrived:
            for title, moment in (("Later", NOW), ("Same time", same)):
                late = await call(db, opera, title=title, published_at=moment, closes_at=None)
                arrived.append(late.uri)

    assert await walk(api, 2, arrivals) == newest_first
    everything = [r.uri for r in rows] + [r.uri for r in undated] + arrived
    assert await board(api, sort="closing", limit=50) == everything  # nulls last, ids ascending
    assert await walk(api, 2, sort="closing") == everything
    assert await walk(api, 3) == [arrived[0], arrived[1], *newest_first[:5],
                                  *newest_first[5:]]  # fmt: skip


async def test_a_cursor_is_refused_unless_this_board_gave_it(db, api, opera) -> None:
    for i in range(3):
        await call(db, opera, title=f"Call {i}", published_at=NOW - timedelta(minutes=i),
                   closes_at=None)  # fmt: skip
    first = (await api.get("/api/smart/v1/board", params={"limit": 1})).json()
    cursor = httpx.URL(first["next"]).params["after"]
    closing = (await api.get("/api/smart/v1/board", params={"limit": 1, "sort": "closing"})).json()
    other = httpx.URL(closing["next"]).params["after"]
    assert (await api.get(first["next"])).status_code == 200
    forged = base64.urlsafe_b64encode(b"n:abc:1").decode()
    huge = base64.urlsafe_b64encode(b"n:1:9999999999999999999").decode().rstrip("=")
    far = base64.urlsafe_b64encode(b"n:999999999999999999:1").decode().rstrip("=")
    for bad in ("x", "12", cursor + "=", forged, huge, far, "%00"):
        response = await api.get("/api/smart/v1/board", params={"after": bad})
        assert response.status_code == 422, bad
        assert "not a cursor" in response.json()["error"]
    mixed = await api.get("/api/smart/v1/board", params={"after": other})  # closing's, not newest's
    assert mixed.status_code == 422


async def test_q_matches_the_words_of_the_text_never_the_markup(
    db, settings, world, api, opera
) -> None:
    await node_follows(db, settings, world, PEER)
    linked = ('<p><strong>Stagehands</strong></p><p>For <a href="https://be.smart.example/t">'
              '<span class="h-card">Tosca</span></a> in Liège</p>')  # fmt: skip
    await peer_call(db, settings, world, content=linked, contentMap={"fr": linked})
    mine = await call(db, opera, title="Première lighting", closes_at=None)
    async with db.session() as s:
        stored = await s.get(ContentObject, mine.id)
    assert stored is not None and "<strong>" in stored.content

    for markup in ("href", "span", "strong", "h-card", "class", "<a href"):
        assert await board(api, q=markup) == [], markup
    assert await board(api, q="TOSCA") == [CALL]
    assert await board(api, q="liege stagehands") == [CALL]  # every word, accents ignored
    assert await board(api, q="tosca lighting") == []
    assert await board(api, q="premiere") == [mine.uri]
    assert await board(api, q="!!!") == []


def test_cursors_round_trip_every_key_the_board_can_hold() -> None:
    for sort, key in (("newest", datetime(1969, 7, 20, 20, 17, 40, 5, tzinfo=UTC)),
                      ("newest", NOW), ("closing", NOW), ("closing", None)):  # fmt: skip
        at = Position(key, 2**62)
        text = cursor_out(sort, at)  # type: ignore[arg-type]
        assert cursor_in(sort, text) == at  # type: ignore[arg-type]
        assert text.isascii() and "=" not in text and ":" not in text
    with pytest.raises(ValidationFailed):
        cursor_in("newest", cursor_out("closing", Position(None, 1)))
