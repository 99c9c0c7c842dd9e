"""Back-fill: once a peer accepts our node actor's Follow, its open calls and upcoming events
(read from its node actor's `board`, paged) land here as if announced: on the board, matched,
never twice; items and pages from another origin store nothing and are never fetched; a peer
that cannot be read is tried again later."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peering import BACKFILL_PEER, schedule_job
from smartnode.actors.peers import add_peer
from smartnode.actors.records import node_uris
from smartnode.matching.notify import MATCH_CALL
from smartnode.storage.models import Activity, ContentObject, Job, Peer
from smartnode.worker import Worker
from tests.actors.test_peering import answer, receive
from tests.content import node_client
from tests.inbox import Fediverse

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BE = "https://be.smart.test"
PEER = f"{BE}/actor"
BOARD = f"{PEER}/board"
PROJECT = f"{BE}/projects/la-monnaie"
EVIL = "https://evil.example"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
DEADLINE = "2031-01-31T23:59:00Z"  # after today, whenever the tests run


def call(token: str, **fields: Any) -> dict[str, Any]:
    """An open call as a peer smartnode embeds it in its board."""
    uri = f"{BE}/calls/{token}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": uri, "type": "Note", "attributedTo": PROJECT, "name": f"Call {token}",
        "content": f"<p><strong>Call {token}</strong></p>", "contentMap": {"fr": "<p>Appel</p>"},
        "published": "2026-11-20T10:00:00Z", "to": [PUBLIC], "cc": [f"{PROJECT}/followers"],
        "purpose": "request",
        "publishes": {"id": f"{uri}#primary", "type": "Intent", "action": "work",
                      "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "5"}},
        "location": {"type": "Place", "address": {"type": "PostalAddress",
                                                  "addressCountry": "BE"}},
        "endTime": DEADLINE, "positions": 1, "languages": ["fr"], "state": "open",
        **fields,
    }  # fmt: skip


def event(token: str, **fields: Any) -> dict[str, Any]:
    uri = f"{BE}/events/{token}"
    return {
        "id": uri, "type": "Event", "attributedTo": PROJECT, "name": "Open rehearsal",
        "content": "<p>Come and watch.</p>", "published": "2026-11-20T10:00:00Z",
        "startTime": "2031-02-01T19:00:00+01:00", "endTime": "2031-02-01T21:00:00+01:00",
        "timezone": "Europe/Brussels", "to": [PUBLIC], "cc": [f"{PROJECT}/followers"],
        **fields,
    }  # fmt: skip


def serve_board(world: Fediverse, *pages: list[Any]) -> None:
    """The peer's board: a root, then `pages` linked by `next`."""
    world.serve(BOARD, {"id": BOARD, "type": "OrderedCollection", "first": f"{BOARD}?page=true",
                        "totalItems": sum(len(p) for p in pages)})  # fmt: skip
    urls = [f"{BOARD}?page=true", *(f"{BOARD}?page=true&max_id={n}" for n in range(1, len(pages)))]
    for index, items in enumerate(pages):
        page = {"id": urls[index], "type": "OrderedCollectionPage", "partOf": BOARD,
                "orderedItems": items}  # fmt: skip
        if index + 1 < len(pages):
            page["next"] = urls[index + 1]
        world.serve(urls[index], page)


@pytest.fixture
async def world(db, settings):
    async with db.session() as session, session.begin():
        node = await ensure_node_actor(session, settings, NOW)
    fediverse = Fediverse()
    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test", board=BOARD)
    fediverse.actor(PROJECT, type="Group")
    fediverse.actor(f"{EVIL}/users/mallory")
    worker = Worker(
        settings, db, fediverse.fetcher(settings), signer=node_signer(node, settings),
        deliverer=None, rng=random.Random(5),
    )  # fmt: skip
    return fediverse, worker


async def peer_accepts(db, settings, worker: Worker) -> None:
    """We add be as a peer; its Accept of our node actor's Follow comes; the worker runs."""
    async with db.session() as session, session.begin():
        await add_peer(session, BE, NOW, uris=node_uris(settings))
    await worker.run_once(NOW)
    async with db.session() as session:
        follow = await session.scalar(select(Activity).where(Activity.activity_type == "Follow"))
    await receive(db, settings, worker, answer("Accept", follow.uri, 1), NOW)


async def stored(db) -> list[tuple[str, str, str | None]]:
    async with db.session() as session:
        rows = await session.scalars(select(ContentObject).order_by(ContentObject.uri))
        return [(r.uri, r.kind, r.state) for r in rows.all()]


async def backfills(db) -> list[Job]:
    async with db.session() as session:
        return list((await session.scalars(select(Job).where(Job.kind == BACKFILL_PEER))).all())


async def peer_row(db) -> Peer:
    async with db.session() as session:
        return (await session.scalars(select(Peer))).one()


async def test_the_new_follower_backfills_open_calls_and_upcoming_events_once(
    db, settings, world
) -> None:
    fediverse, worker = world
    closed = call("c4", state="closed")
    serve_board(fediverse, [call("c1"), call("c2")], [call("c3"), closed, event("e1")])

    await peer_accepts(db, settings, worker)

    assert await stored(db) == [
        (f"{BE}/calls/c1", "call", "open"), (f"{BE}/calls/c2", "call", "open"),
        (f"{BE}/calls/c3", "call", "open"), (f"{BE}/events/e1", "event", None),
    ]  # fmt: skip
    assert [j.state for j in await backfills(db)] == ["done"]
    assert (await peer_row(db)).backfilled_at == NOW
    async with node_client(settings, fediverse) as api:
        board = (await api.get("/api/smart/v1/board")).json()["items"]
    assert sorted(item["uri"] for item in board) == [f"{BE}/calls/c{n}" for n in (1, 2, 3)]
    async with db.session() as session:  # matched and offered to feeds like an announced call
        matching = (await session.scalars(select(Job).where(Job.kind == MATCH_CALL))).all()
    assert len(matching) == 3

    async with db.session() as session, session.begin():  # a second back-fill
        await schedule_job(session, BACKFILL_PEER, PEER, NOW)
    await worker.run_once(NOW)
    assert [j.state for j in await backfills(db)] == ["done", "done"]
    assert len(await stored(db)) == 4  # nothing stored twice
    async with db.session() as session:
        count = await session.scalar(select(func.count()).select_from(ContentObject))
    assert count == 4


async def test_items_and_pages_from_another_origin_store_nothing_and_are_not_fetched(
    db, settings, world
) -> None:
    fediverse, worker = world
    forged = call("x1", id=f"{EVIL}/calls/x1", attributedTo=f"{EVIL}/users/mallory")
    planted = call("x2", attributedTo=f"{EVIL}/users/mallory")  # on be, but mallory's
    fediverse.serve(f"{EVIL}/calls/x1", forged)
    page = [forged, planted, f"{BE}/calls/by-id-only", call("ok")]
    serve_board(fediverse, page)
    root = {"id": BOARD, "type": "OrderedCollection", "first": f"{BOARD}?page=true"}
    fediverse.serve(BOARD, root)
    first = {"id": f"{BOARD}?page=true", "type": "OrderedCollectionPage",
             "orderedItems": page, "next": f"{EVIL}/more"}  # fmt: skip
    fediverse.serve(f"{BOARD}?page=true", first)

    await peer_accepts(db, settings, worker)

    assert await stored(db) == [(f"{BE}/calls/ok", "call", "open")]
    fetched = fediverse.fetched()
    assert not [url for url in fetched if url.startswith(EVIL)]
    assert f"{BE}/calls/by-id-only" not in fetched


async def test_a_board_that_leads_to_another_origin_is_not_read(db, settings, world) -> None:
    fediverse, worker = world
    fediverse.redirect(BOARD, f"{EVIL}/board")
    fediverse.serve(f"{EVIL}/board", {"id": f"{EVIL}/board", "type": "OrderedCollection",
                                      "orderedItems": [call("c1")]})  # fmt: skip

    await peer_accepts(db, settings, worker)

    assert await stored(db) == []
    assert [j.state for j in await backfills(db)] == ["done"]
    assert "another origin" in (await peer_row(db)).last_error


async def test_a_peer_without_a_board_is_noted_and_left_alone(db, settings, world) -> None:
    fediverse, worker = world
    fediverse.actor(PEER, type="Application", preferredUsername="be.smart.test")  # older node

    await peer_accepts(db, settings, worker)

    assert await stored(db) == []
    assert [j.state for j in await backfills(db)] == ["done"]
    assert "lists no board" in (await peer_row(db)).last_error


async def test_a_backfill_that_fails_is_tried_again_later(db, settings, world) -> None:
    fediverse, worker = world
    fediverse.serve(BOARD, {"error": "overloaded"}, status=503)

    await peer_accepts(db, settings, worker)

    [job] = await backfills(db)
    assert job.state == "pending" and job.run_at > NOW and "503" in (job.last_error or "")
    assert "back-fill failed, will retry" in (await peer_row(db)).last_error
    assert await stored(db) == []

    serve_board(fediverse, [call("c1")])
    await worker.run_once(job.run_at)
    assert [j.state for j in await backfills(db)] == ["done"]
    assert await stored(db) == [(f"{BE}/calls/c1", "call", "open")]


async def test_no_backfill_while_our_follow_is_not_accepted(db, settings, world) -> None:
    fediverse, worker = world
    serve_board(fediverse, [call("c1")])
    async with db.session() as session, session.begin():
        await add_peer(session, BE, NOW, uris=node_uris(settings))
        await schedule_job(session, BACKFILL_PEER, PEER, NOW)
    await worker.run_once(NOW)
    assert await stored(db) == []
    assert f"{BOARD}?page=true" not in fediverse.fetched()
