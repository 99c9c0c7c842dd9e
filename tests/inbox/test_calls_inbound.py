"""Calls from other nodes: a peer's node actor Announces a call → stored as a call and on our
board; the project's Update closing it takes it off; forged Announces are refetched or refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peers import FOLLOW_PEER, add_peer
from smartnode.matching.notify import MATCH_CALL
from smartnode.storage.models import ContentObject, Follow, Job, Peer
from smartnode.worker import Worker
from tests.content import activities as sent_activities
from tests.content import activity, node_client
from tests.inbox import Fediverse, inbox_context, receive

PEER = "https://be.smart.example/actor"
PROJECT = "https://be.smart.example/projects/la-monnaie"
CALL = "https://be.smart.example/calls/0a1b"
EVIL = "https://evil.example/actor"
PERFORM = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
DEADLINE = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def call_doc(**fields: Any) -> dict[str, Any]:
    """A call as a peer smartnode publishes it."""
    return {
        "id": CALL, "type": "Note", "attributedTo": PROJECT, "name": "Stagehands",
        "content": "<p><strong>Stagehands</strong></p><p>For Tosca.</p>",
        "contentMap": {"fr": "<p><strong>Stagehands</strong></p><p>Pour Tosca.</p>"},
        "published": "2026-11-26T10:00:00Z", "to": [PUBLIC], "cc": [f"{PROJECT}/followers"],
        "purpose": "request", "unitBased": False,
        "publishes": {"id": f"{CALL}#primary", "type": "Intent", "action": "work",
                      "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "5"},
                      "hasBeginning": "2027-02-01", "hasEnd": "2027-02-05"},
        "reciprocal": {"id": f"{CALL}#reciprocal", "type": "Intent", "action": "transfer",
                       "resourceQuantity": {"hasUnit": "EUR", "hasNumericalValue": "250"},
                       "per": "day"},
        "tag": [{"type": "DefinedTerm", "id": PERFORM, "url": PERFORM, "name": "perform"}],
        "location": {"type": "Place", "name": "Brussels, BE",
                     "address": {"type": "PostalAddress", "addressCountry": "BE",
                                 "addressLocality": "Brussels"}},
        "endTime": DEADLINE, "positions": 3, "languages": ["fr", "nl"],
        "remote": False, "state": "open",
        **fields,
    }  # fmt: skip


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(PEER, type="Application")
    fediverse.actor(PROJECT, type="Group")
    fediverse.actor(EVIL, type="Application")
    fediverse.serve(CALL, call_doc())
    return fediverse


async def node_follows(db, settings, world, uri: str) -> None:
    """Arrange: our node actor follows a peer's node actor (accepted)."""
    async with inbox_context(db, settings, world) as ctx:
        node = await ensure_node_actor(ctx.session, settings, ctx.now)
        peer = await ctx.resolver.actor(uri)
        assert peer is not None
        ctx.session.add(Follow(follower_id=node.id, followed_id=peer.id, state="accepted",
                               created_at=ctx.now))  # fmt: skip


async def stored(db) -> list[ContentObject]:
    async with db.session() as s:
        return list((await s.scalars(select(ContentObject).order_by(ContentObject.id))).all())


async def board(settings, world, **params) -> list[dict[str, Any]]:
    async with node_client(settings, world) as api:
        response = await api.get("/api/smart/v1/board", params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


async def test_a_peer_node_announces_a_call_and_it_is_on_our_board(db, settings, world) -> None:
    await node_follows(db, settings, world, PEER)
    announce = activity("Announce", PEER, call_doc(), f"{PEER}#announce-1")
    outcome = await receive(db, settings, world, announce)
    assert outcome.status == "processed", outcome
    [row] = await stored(db)
    assert (row.uri, row.kind, row.state, row.local, row.visibility) == (
        CALL, "call", "open", False, "public")  # fmt: skip
    terms = row.extra["call"]
    assert (terms["country"], terms["positions"], terms["languages"]) == ("BE", 3, ["fr", "nl"])
    assert terms["paid"] == {"amount": "250", "currency": "EUR", "unit": "day"}
    assert terms["effort"] == {"amount": "5", "unit": "day"}
    async with db.session() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == MATCH_CALL))).all()
    assert [j.payload for j in jobs] == [{"call_id": row.id}]
    [item] = await board(settings, world)
    assert (item["uri"], item["id"], item["local"], item["author"]) == (CALL, None, False, PROJECT)
    assert item["title"] == "Stagehands" and item["skills"] == [{"uri": PERFORM, "name": "perform"}]
    assert [i["uri"] for i in await board(settings, world, country="BE", skill=PERFORM)] == [CALL]
    assert await board(settings, world, country="SE") == []


async def test_the_projects_update_closing_the_call_takes_it_off_the_board(
    db, settings, world
) -> None:
    await node_follows(db, settings, world, PEER)
    await receive(db, settings, world, activity("Announce", PEER, call_doc(), f"{PEER}#a1"))
    closed = call_doc(state="closed", updated="2026-11-26T11:00:00Z")
    update = activity("Update", PROJECT, closed, f"{PROJECT}#update-1")
    outcome = await receive(db, settings, world, update)
    assert outcome.status == "processed", outcome
    [row] = await stored(db)
    assert row.state == "closed" and row.kind == "call"
    assert await board(settings, world) == []


async def test_an_update_by_someone_else_changes_nothing(db, settings, world) -> None:
    await node_follows(db, settings, world, PEER)
    await receive(db, settings, world, activity("Announce", PEER, call_doc(), f"{PEER}#a1"))
    closed = call_doc(state="closed", updated="2026-11-26T11:00:00Z")
    outcome = await receive(db, settings, world, activity("Update", PEER, closed, f"{PEER}#u"))
    assert outcome.status == "ignored"
    [row] = await stored(db)
    assert row.state == "open" and len(await board(settings, world)) == 1


async def test_a_forged_embedded_call_from_another_origin_is_refetched(db, settings, world) -> None:
    await node_follows(db, settings, world, EVIL)
    forged = call_doc(content="<p>Send your bank details</p>", positions=999, state="open")
    outcome = await receive(db, settings, world, activity("Announce", EVIL, forged, f"{EVIL}#a"))
    assert outcome.status == "processed", outcome
    assert CALL in world.fetched()
    [row] = await stored(db)
    assert "bank" not in row.content and row.extra["call"]["positions"] == 3


async def test_a_forged_call_whose_refetch_fails_stores_nothing(db, settings, world) -> None:
    await node_follows(db, settings, world, EVIL)
    missing = "https://be.smart.example/calls/none"
    forged = call_doc(id=missing)
    outcome = await receive(db, settings, world, activity("Announce", EVIL, forged, f"{EVIL}#a"))
    assert outcome.status == "ignored"
    assert await stored(db) == [] and await board(settings, world) == []


async def test_an_announce_by_a_node_nobody_here_follows_is_ignored(db, settings, world) -> None:
    outcome = await receive(
        db, settings, world, activity("Announce", PEER, call_doc(), f"{PEER}#a")
    )
    assert outcome.status == "ignored"
    assert await stored(db) == []


async def test_the_projects_delete_takes_the_call_off_the_board(db, settings, world) -> None:
    await node_follows(db, settings, world, PEER)
    await receive(db, settings, world, activity("Announce", PEER, call_doc(), f"{PEER}#a1"))
    gone = {"id": CALL, "type": "Tombstone"}
    outcome = await receive(db, settings, world, activity("Delete", PROJECT, gone, f"{PROJECT}#d"))
    assert outcome.status == "processed", outcome
    [row] = await stored(db)
    assert row.deleted_at is not None and await board(settings, world) == []


async def test_a_call_past_its_deadline_is_not_on_the_board(db, settings, world) -> None:
    await node_follows(db, settings, world, PEER)
    late = call_doc(endTime="2026-01-01T00:00:00Z")
    await receive(db, settings, world, activity("Announce", PEER, late, f"{PEER}#a1"))
    [row] = await stored(db)
    assert row.kind == "call" and row.closes_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert await board(settings, world) == []


async def test_our_node_follows_the_trusted_peers_and_then_takes_their_calls(
    db, settings, world
) -> None:
    async with inbox_context(db, settings, world) as ctx:
        node = await ensure_node_actor(ctx.session, settings, ctx.now)
        await add_peer(ctx.session, "https://be.smart.example", ctx.now)
        await add_peer(ctx.session, "https://gone.smart.example", ctx.now)  # unreachable
    worker = Worker(
        settings, db, world.fetcher(settings), signer=node_signer(node, settings), deliverer=None
    )
    await worker.run_once(datetime.now(UTC))
    await worker.run_once(datetime.now(UTC))  # the gone peer's job waits for its retry
    [follow] = await sent_activities(db, "Follow")
    assert follow.document["object"] == PEER
    async with db.session() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == FOLLOW_PEER))).all()
        peers = (await s.scalars(select(Peer).order_by(Peer.host))).all()
    assert sorted((j.payload["actor_uri"], j.state) for j in jobs) == [
        (PEER, "pending"),
        ("https://gone.smart.example/actor", "pending"),
    ]  # both run again
    assert [(p.actor_uri, p.ours_state) for p in peers] == [
        (PEER, "pending"), ("https://gone.smart.example/actor", "unreachable")]  # fmt: skip
    early = await receive(db, settings, world, activity("Announce", PEER, call_doc(), f"{PEER}#0"))
    assert early.status == "ignored" and await stored(db) == []  # pending: not yet
    accept = activity("Accept", PEER, follow.document["id"], f"{PEER}#accept")
    assert (await receive(db, settings, world, accept)).status == "processed"
    outcome = await receive(
        db, settings, world, activity("Announce", PEER, call_doc(), f"{PEER}#1")
    )
    assert outcome.status == "processed"
    assert [c["uri"] for c in await board(settings, world)] == [CALL]


async def test_a_remote_proposal_that_requests_is_a_call_on_the_board(db, settings, world) -> None:
    """FEP-0837: the type SHOULD be Proposal; a Create of one is stored as a call."""
    await node_follows(db, settings, world, PROJECT)
    proposal = call_doc(type="Proposal")
    outcome = await receive(
        db, settings, world, activity("Create", PROJECT, proposal, f"{PROJECT}#create-1")
    )
    assert outcome.status == "processed", outcome
    [row] = await stored(db)
    assert (row.uri, row.ap_type, row.kind, row.state) == (CALL, "Proposal", "call", "open")
    assert row.extra["proposal"]["primary"] == {"id": f"{CALL}#primary", "unit": "day",
                                                "amount": "5"}  # fmt: skip
    assert [item["uri"] for item in await board(settings, world)] == [CALL]


async def test_a_remote_proposal_that_offers_is_not_a_call(db, settings, world) -> None:
    await node_follows(db, settings, world, PROJECT)
    offering = call_doc(type="Proposal", purpose="offer", id=f"{CALL}x")
    outcome = await receive(
        db, settings, world, activity("Create", PROJECT, offering, f"{PROJECT}#create-2")
    )
    assert outcome.status == "ignored" and "purpose offer" in outcome.reason
    assert await stored(db) == [] and await board(settings, world) == []
