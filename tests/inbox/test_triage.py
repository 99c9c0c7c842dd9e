"""Triage settles, a batch at a time, what concerns no one here, exactly as the handlers would;
everything that names this node, or anyone it follows or anything it stores, runs its handler."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.records import node_uris
from smartnode.federation.fetch import Fetcher
from smartnode.inbox.dispatch import dispatch
from smartnode.inbox.triage import triage
from smartnode.storage.models import (
    ContentObject,
    DeletedObject,
    DomainBlock,
    Follow,
    InboxMessage,
    Reaction,
)
from smartnode.worker import Worker
from tests.conftest import make_member
from tests.content import activity, make_post, remote_note
from tests.inbox import Fediverse, inbox_context

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ALICE = "https://mastodon.example/users/alice"
BOB = "https://bob.example/users/bob"
EVE = "https://spam.example/users/eve"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    for uri in (ALICE, BOB, EVE):
        fediverse.actor(uri)
    return fediverse


@pytest.fixture
async def worker(db, settings, world):
    async with db.session() as s, s.begin():
        node = await ensure_node_actor(s, settings, NOW)
    fetcher = Fetcher(settings, transport=httpx.MockTransport(world.handle))
    yield Worker(settings, db, fetcher, signer=node_signer(node, settings), deliverer=None)
    await fetcher.aclose()


def note(n: int, actor: str = BOB, **fields: Any) -> dict[str, Any]:
    return remote_note(f"{actor}/statuses/{n}", actor, **fields)


def create(obj: dict[str, Any], actor: str = BOB) -> dict[str, Any]:
    return activity("Create", actor, obj, f"{obj['id']}/activity")


async def _store(db, bodies: list[dict[str, Any]], inbox: str) -> list[int]:
    async with db.session() as s, s.begin():
        rows = [InboxMessage(
            activity_uri=b["id"], inbox=inbox, actor_uri=b["actor"], activity_type=b["type"],
            body=b, received_at=NOW, state="pending", run_at=NOW, attempts=0,
        ) for b in bodies]  # fmt: skip
        s.add_all(rows)
        await s.flush()
        return [row.id for row in rows]


async def _outcomes(db, ids: list[int]) -> list[tuple[str, str | None]]:
    async with db.session() as s:
        rows = {m.id: m for m in (await s.scalars(select(InboxMessage))).all()}
    return [(rows[i].state, rows[i].last_error) for i in ids]


async def _follows(db, settings, member_uri: str, remote: str, world: Fediverse) -> None:
    async with inbox_context(db, settings, world) as ctx:
        follower = await ctx.resolver.actor(member_uri)
        followed = await ctx.resolver.actor(remote)
        ctx.session.add(Follow(follower_id=follower.id, followed_id=followed.id,
                               state="accepted", created_at=NOW))  # fmt: skip


async def _asks_to_follow(db, settings, member_uri: str, remote: str, world: Fediverse) -> str:
    """A pending Follow of ours, as sent; its id."""
    async with inbox_context(db, settings, world) as ctx:
        follower = await ctx.resolver.actor(member_uri)
        followed = await ctx.resolver.actor(remote)
        uri = f"{settings.base_url}/follows/asked-1"
        ctx.session.add(Follow(uri=uri, follower_id=follower.id, followed_id=followed.id,
                               state="pending", created_at=NOW))  # fmt: skip
    return uri


async def test_public_traffic_of_strangers_is_settled_without_a_request(
    db, settings, world, worker
) -> None:
    await make_member(db, settings, "anna")
    bodies = [create(note(1)), activity("Announce", BOB, f"{ALICE}/statuses/9", f"{BOB}/b/1"),
              activity("Like", BOB, f"{ALICE}/statuses/9", f"{BOB}/l/1"),
              activity("Update", BOB, note(2), f"{BOB}/u/1")]  # fmt: skip
    ids = await _store(db, bodies, f"{settings.base_url}/inbox")
    world.requests.clear()
    assert await worker.process_inbox(NOW) == 4
    assert await _outcomes(db, ids) == [
        ("done", "the object concerns no one on this node"),
        ("done", "the Announce concerns no one on this node"),
        ("done", "the Like names none of our live posts"),
        ("done", "Update of an object we do not store"),
    ]
    assert world.requests == []
    async with db.session() as s:
        assert (await s.scalars(select(ContentObject))).all() == []


async def test_a_delete_of_an_unknown_object_leaves_its_marker(db, settings, worker) -> None:
    body = activity("Delete", BOB, {"id": f"{BOB}/statuses/7", "type": "Tombstone"}, f"{BOB}/d/7")
    [message] = await _store(db, [body], f"{settings.base_url}/inbox")
    await worker.process_inbox(NOW)
    assert await _outcomes(db, [message]) == [("done", None)]
    async with db.session() as s:
        marker = await s.get(DeletedObject, f"{BOB}/statuses/7")
    assert marker is not None and marker.actor_uri == BOB


async def test_what_concerns_the_node_still_reaches_its_handler(
    db, settings, world, worker
) -> None:
    anna = await make_member(db, settings, "anna")
    post = await make_post(db, settings, anna, visibility="public")
    await _follows(db, settings, anna.uri, ALICE, world)
    mention = note(3, tag=[{"type": "Mention", "href": anna.uri, "name": "@anna"}],
                   cc=[f"{BOB}/followers", anna.uri])  # fmt: skip
    bodies = [create(note(1, ALICE), ALICE), create(mention),
              activity("Like", BOB, post.uri, f"{BOB}/l/2")]  # fmt: skip
    ids = await _store(db, bodies, f"{settings.base_url}/inbox")
    own_inbox = await _store(db, [create(note(4))], f"{anna.uri}/inbox")
    await worker.process_inbox(NOW)
    assert [state for state, _ in await _outcomes(db, ids + own_inbox)] == ["done"] * 4
    async with db.session() as s:
        stored = set((await s.scalars(select(ContentObject.uri))).all())
        likes = (await s.scalars(select(Reaction))).all()
    assert {f"{ALICE}/statuses/1", f"{BOB}/statuses/3", f"{BOB}/statuses/4"} <= stored
    assert len(likes) == 1


async def test_a_boost_or_delete_of_a_stored_post_reaches_its_handler(
    db, settings, world, worker
) -> None:
    anna = await make_member(db, settings, "anna")
    await _follows(db, settings, anna.uri, ALICE, world)
    first = await _store(db, [create(note(1, ALICE), ALICE)], f"{settings.base_url}/inbox")
    await worker.process_inbox(NOW)
    boost = activity("Announce", BOB, f"{ALICE}/statuses/1", f"{BOB}/b/2")
    gone = activity("Delete", ALICE, {"id": f"{ALICE}/statuses/1", "type": "Tombstone"},
                    f"{ALICE}/d/1")  # fmt: skip
    ids = await _store(db, [boost], f"{settings.base_url}/inbox")
    await worker.process_inbox(NOW)  # two actors' messages may run in any order: one by one
    ids += await _store(db, [gone], f"{settings.base_url}/inbox")
    await worker.process_inbox(NOW)
    assert await _outcomes(db, first + ids) == [("done", None)] * 3
    async with db.session() as s:
        post = await s.scalar(select(ContentObject))
    assert post is not None and post.announces_count == 1 and post.deleted_at is not None


async def test_a_strangers_post_behind_one_for_a_handler_is_still_settled(
    db, settings, world, worker
) -> None:
    """A mention goes to its handler; the same actor's unrelated posts and boosts after it in
    the batch are settled by triage all the same, and only the mention is stored."""
    anna = await make_member(db, settings, "anna")
    mention = note(3, tag=[{"type": "Mention", "href": anna.uri, "name": "@anna"}],
                   cc=[f"{BOB}/followers", anna.uri])  # fmt: skip
    bodies = [create(mention), create(note(4)),
              activity("Announce", BOB, f"{ALICE}/statuses/9", f"{BOB}/b/5")]  # fmt: skip
    ids = await _store(db, bodies, f"{settings.base_url}/inbox")
    async with db.session() as s:
        rows = (await s.execute(select(InboxMessage.__table__).order_by(InboxMessage.id))).all()
        settled, remaining = await triage(s, node_uris(settings), rows, frozenset())
    assert [r.id for r in remaining] == ids[:1]
    assert [s.message_id for s in settled] == ids[1:]
    await worker.process_inbox(NOW)
    assert await _outcomes(db, ids) == [
        ("done", None),
        ("done", "the object concerns no one on this node"),
        ("done", "the Announce concerns no one on this node"),
    ]
    async with db.session() as s:
        assert set((await s.scalars(select(ContentObject.uri))).all()) == {mention["id"]}


async def test_what_an_earlier_message_may_change_waits_for_its_handler(
    db, settings, world, worker
) -> None:
    """Behind a Create bound for its handler, an edit of the same note (which no longer names
    anyone here) is not settled as "not stored"; behind an Accept (which may make its actor
    followed) nothing is settled."""
    anna = await make_member(db, settings, "anna")
    mention = note(3, tag=[{"type": "Mention", "href": anna.uri, "name": "@anna"}],
                   cc=[f"{BOB}/followers", anna.uri])  # fmt: skip
    edited = {**note(3), "content": "<p>edited</p>", "updated": "2026-12-04T12:00:00Z"}
    follow_id = await _asks_to_follow(db, settings, anna.uri, ALICE, world)
    accept = activity("Accept", ALICE, follow_id, f"{ALICE}#accepts/1")
    bodies = [create(mention), activity("Update", BOB, edited, f"{BOB}/u/3"),
              accept, create(note(1, ALICE), ALICE)]  # fmt: skip
    ids = await _store(db, bodies, f"{settings.base_url}/inbox")
    async with db.session() as s:
        rows = (await s.execute(select(InboxMessage.__table__).order_by(InboxMessage.id))).all()
        settled, remaining = await triage(s, node_uris(settings), rows, frozenset())
    assert settled == []
    assert [r.id for r in remaining] == ids
    await worker.process_inbox(NOW)
    assert await _outcomes(db, ids) == [("done", None)] * 4
    async with db.session() as s:
        stored = await s.scalar(select(ContentObject).where(ContentObject.uri == mention["id"]))
        alices = await s.scalar(
            select(ContentObject).where(ContentObject.uri == f"{ALICE}/statuses/1")
        )
    assert stored is not None and "edited" in (stored.content or "")
    assert alices is not None  # the Accept made anna a follower of Alice first


async def test_a_blocked_domain_is_refused_by_the_handlers_rule(db, settings, worker) -> None:
    async with db.session() as s, s.begin():
        s.add(DomainBlock(domain="spam.example", reason="", created_at=NOW))
    ids = await _store(db, [create(note(1, EVE), EVE)], f"{settings.base_url}/inbox")
    await worker.process_inbox(NOW)
    assert await _outcomes(db, ids) == [("done", "spam.example is a blocked domain")]


CORPUS = [
    create(note(1)),
    create(note(2, to=["https://www.w3.org/ns/activitystreams#Public"], cc=[])),
    create({"id": f"{BOB}/chats/1", "type": "ChatMessage", "attributedTo": BOB}),
    activity("Create", BOB, note(5, "https://other.example/users/x"), f"{BOB}/statuses/5/a"),
    activity("Create", BOB, note(6), "https://other.example/forged/6"),
    activity("Announce", BOB, f"{ALICE}/statuses/9", f"{BOB}/b/1"),
    activity("Announce", BOB, note(8), "https://other.example/b/2"),
    activity("Announce", BOB, note(8), f"{BOB}/b/3"),
    activity("Like", BOB, f"{ALICE}/statuses/9", f"{BOB}/l/1"),
    activity("Like", BOB, f"{ALICE}/statuses/9", "https://other.example/l/1"),
    activity("Delete", BOB, {"id": f"{BOB}/statuses/7", "type": "Tombstone"}, f"{BOB}/d/7"),
    activity("Delete", BOB, f"{BOB}/statuses/8", "https://other.example/d/8"),
    activity("Delete", BOB, f"{ALICE}/statuses/8", f"{BOB}/d/9"),
    activity("Update", BOB, note(2), f"{BOB}/u/1"),
    activity("Update", BOB, f"{BOB}/statuses/2", f"{BOB}/u/2"),
]


@pytest.mark.parametrize("body", CORPUS, ids=lambda b: f"{b['type']}:{b['id'][-12:]}")
async def test_triage_says_what_the_handler_says(db, settings, world, body) -> None:
    """For every activity triage settles, running its handler gives the same outcome."""
    await make_member(db, settings, "anna")
    [message_id] = await _store(db, [body], f"{settings.base_url}/inbox")
    async with db.session() as s:
        row = (await s.execute(select(InboxMessage.__table__))).one()
        settled, _ = await triage(s, node_uris(settings), [row], frozenset())
    assert settled, "this corpus is of activities triage settles"
    async with inbox_context(db, settings, world) as ctx:
        message = await ctx.session.get(InboxMessage, message_id)
        outcome = await dispatch(ctx, message)
        await ctx.session.rollback()
    expected = (outcome.status == "ignored", outcome.reason)
    assert (settled[0].ignored, settled[0].reason) == expected
