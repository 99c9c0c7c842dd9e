"""Messages of actors we hold fresh are handled many to a transaction; one that needs a fetch
leaves the group (with its actor's later messages, in order) and the others are kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event, select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.federation.fetch import Fetcher
from smartnode.inbox.lane import READ_AHEAD
from smartnode.storage.models import ContentObject, Follow, InboxMessage
from smartnode.storage.models_work import Notification
from smartnode.worker import Worker
from tests.conftest import make_member
from tests.content import activity, make_post, remote_note
from tests.inbox import Fediverse, inbox_context

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ALICE = "https://mastodon.example/users/alice"
BOB = "https://bob.example/users/bob"
CAROL = "https://carol.example/users/carol"


async def _store(db, settings, bodies: list[dict[str, Any]]) -> None:
    async with db.session() as s, s.begin():
        s.add_all([InboxMessage(
            activity_uri=b["id"], inbox=f"{settings.base_url}/inbox", actor_uri=b["actor"],
            activity_type=b["type"], body=b, received_at=NOW, state="pending", run_at=NOW,
            attempts=0,
        ) for b in bodies])  # fmt: skip


async def _one_batch(db, settings, world: Fediverse, node: Any) -> int:
    """One inbox batch through a worker whose remote servers are `world`; how many it held."""
    fetcher = Fetcher(settings, transport=httpx.MockTransport(world.handle))
    worker = Worker(settings, db, fetcher, signer=node_signer(node, settings), deliverer=None)
    try:
        return await worker.process_inbox(NOW)
    finally:
        await fetcher.aclose()


async def test_a_message_that_needs_a_fetch_leaves_its_group_in_order(db, settings) -> None:
    world = Fediverse()
    for uri in (ALICE, BOB, CAROL):
        world.actor(uri)
    anna = await make_member(db, settings, "anna")
    post = await make_post(db, settings, anna, visibility="public")
    async with inbox_context(db, settings, world, NOW) as ctx:  # all three held fresh
        for uri in (ALICE, BOB, CAROL):
            assert await ctx.resolver.actor(uri) is not None
        node = await ensure_node_actor(ctx.session, settings, NOW)
    note_uri = f"{BOB}/statuses/1"
    note = remote_note(note_uri, BOB, cc=[anna.uri],
                       tag=[{"type": "Mention", "href": anna.uri, "name": "@anna"}])  # fmt: skip
    world.serve(note_uri, note)
    edited = {**note, "content": "<p>Edited</p>", "updated": "2026-11-26T12:00:00Z"}
    await _store(db, settings, [
        activity("Like", ALICE, post.uri, f"{ALICE}#like"),
        activity("Create", BOB, note_uri, f"{note_uri}/activity"),  # by id: must be fetched
        activity("Update", BOB, edited, f"{note_uri}#update"),
        activity("Like", CAROL, post.uri, f"{CAROL}#like"),
    ])  # fmt: skip
    world.requests.clear()
    assert await _one_batch(db, settings, world, node) == 4
    async with db.session() as s:
        states = (await s.execute(select(InboxMessage.state, InboxMessage.last_error))).all()
        liked = await s.get(ContentObject, post.id)
        stored = await s.scalar(select(ContentObject).where(ContentObject.uri == note_uri))
    assert [tuple(row) for row in states] == [("done", None)] * 4
    assert liked is not None and liked.likes_count == 2
    assert stored is not None and "Edited" in stored.content  # the Update waited its turn
    assert world.fetched() == [note_uri]  # fetched once, with no transaction open


async def test_a_delete_before_its_create_in_one_batch_wins(db, settings) -> None:
    # Deletion markers are read once per batch, after triage has recorded the batch's own
    # Deletes: a Create that arrives after its Delete is still refused, in a group or alone.
    world = Fediverse()
    world.actor(BOB)
    anna = await make_member(db, settings, "anna")
    async with inbox_context(db, settings, world, NOW) as ctx:
        assert await ctx.resolver.actor(BOB) is not None  # held fresh: the grouped path
        node = await ensure_node_actor(ctx.session, settings, NOW)
    gone, kept = f"{BOB}/statuses/1", f"{BOB}/statuses/2"
    mention = {"cc": [anna.uri], "tag": [{"type": "Mention", "href": anna.uri, "name": "@anna"}]}
    await _store(db, settings, [
        activity("Delete", BOB, {"id": gone, "type": "Tombstone"}, f"{gone}#delete"),
        activity("Create", BOB, remote_note(gone, BOB, **mention), f"{gone}/activity"),
        activity("Create", BOB, remote_note(kept, BOB, **mention), f"{kept}/activity"),
    ])  # fmt: skip
    assert await _one_batch(db, settings, world, node) == 3
    async with db.session() as s:
        outcomes = dict(
            (await s.execute(select(InboxMessage.activity_uri, InboxMessage.last_error))).all()
        )
        stored = set((await s.scalars(select(ContentObject.uri).where(
            ContentObject.local.is_(False)))).all())  # fmt: skip
    assert outcomes[f"{gone}/activity"] == "the object was deleted before its Create arrived"
    assert outcomes[f"{kept}/activity"] is None
    assert stored == {kept}


async def _anna_and_three_known_senders(db, settings) -> tuple[Fediverse, Any, Any, Any]:
    """Arrange: member anna with a public post, and Alice, Bob and Carol held fresh."""
    world = Fediverse()
    for uri in (ALICE, BOB, CAROL):
        world.actor(uri)
    anna = await make_member(db, settings, "anna")
    post = await make_post(db, settings, anna, visibility="public")
    async with inbox_context(db, settings, world, NOW) as ctx:
        for uri in (ALICE, BOB, CAROL):
            assert await ctx.resolver.actor(uri) is not None
        node = await ensure_node_actor(ctx.session, settings, NOW)
    return world, anna, post, node


async def test_a_group_reads_its_senders_in_one_statement(db, settings) -> None:
    """Likes of one post by three actors we hold fresh: one transaction counts all three, and
    the senders' rows are read once for the group, not once per message."""
    world, _, post, node = await _anna_and_three_known_senders(db, settings)
    await _store(db, settings, [activity("Like", uri, post.uri, f"{uri}/likes/1")
                                for uri in (ALICE, BOB, CAROL)])  # fmt: skip
    reads: list[str] = []

    def note_actor_reads(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if " ".join(statement.split()).startswith("SELECT actors.id, actors.uri"):
            reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note_actor_reads)
    try:
        assert await _one_batch(db, settings, world, node) == 3
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note_actor_reads)
    remote_reads = [s for s in reads if "actors.local IS 0" in s or "actors.local IS false" in s]
    assert len(remote_reads) == 1 and " IN " in remote_reads[0]
    async with db.session() as s:
        liked = await s.scalar(select(ContentObject).where(ContentObject.uri == post.uri))
        states = (await s.scalars(select(InboxMessage.state))).all()
    assert liked is not None and liked.likes_count == 3 and set(states) == {"done"}


async def test_a_group_reads_the_members_and_posts_it_names_once(db, settings) -> None:
    """Replies to a member's post that mention her, a Like of it and a Follow of her, from
    three actors we hold fresh: the group reads her row and her post's once, ahead, and every
    handler finds them there; the replies are stored and counted, she is told of each, the
    Like is counted and the Follow accepted."""
    world, anna, post, node = await _anna_and_three_known_senders(db, settings)
    mention = {"type": "Mention", "href": anna.uri, "name": "@anna"}
    replies = [
        activity("Create", uri, remote_note(f"{uri}/notes/1", uri, inReplyTo=post.uri,
                                            to=[anna.uri], tag=[mention]),
                 f"{uri}/notes/1/activity")
        for uri in (ALICE, BOB)
    ]  # fmt: skip
    like = activity("Like", CAROL, post.uri, f"{CAROL}/likes/1")
    follow = activity("Follow", CAROL, anna.uri, f"{CAROL}/follows/1")
    await _store(db, settings, [*replies, like, follow])
    named: list[str] = []

    def note_reads_of_hers(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        values = params.values() if isinstance(params, dict) else params or ()
        if statement.lstrip().startswith("SELECT") and {anna.uri, post.uri} & set(values):
            named.append(" ".join(statement.split()))

    event.listen(db.engine.sync_engine, "before_cursor_execute", note_reads_of_hers)
    try:
        assert await _one_batch(db, settings, world, node) == 4
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note_reads_of_hers)
    # triage's reads of the batch (stored and deleted ids), then the group's two reads ahead
    assert len(named) == 4 and all(" IN " in s for s in named), named
    async with db.session() as s:
        liked = await s.scalar(select(ContentObject).where(ContentObject.uri == post.uri))
        stored = (
            await s.scalars(select(ContentObject.uri).where(ContentObject.local.is_(False)))
        ).all()
        told = (
            await s.scalars(select(Notification.kind).where(Notification.actor_id == anna.id))
        ).all()
        follows = (await s.scalars(select(Follow.state).where(Follow.followed_id == anna.id))).all()
        states = (await s.scalars(select(InboxMessage.state))).all()
    assert liked is not None and liked.replies_count == 2 and liked.likes_count == 1
    assert sorted(stored) == sorted(f"{uri}/notes/1" for uri in (ALICE, BOB))
    assert told.count("mention") == 2 and follows == ["accepted"] and set(states) == {"done"}


async def test_a_message_naming_thousands_of_our_ids_reads_ahead_only_some(db, settings) -> None:
    """A message addressing 40,000 ids that look like our members' (more than a statement may
    bind) still goes through its group: the group reads at most READ_AHEAD of them ahead, and
    the handlers find the member it really names."""
    world = Fediverse()
    world.actor(ALICE)
    anna = await make_member(db, settings, "anna")
    async with inbox_context(db, settings, world, NOW) as ctx:
        assert await ctx.resolver.actor(ALICE) is not None
        node = await ensure_node_actor(ctx.session, settings, NOW)
    crowd = [f"{settings.base_url}/members/m{n}" for n in range(40_000)]
    note = remote_note(f"{ALICE}/notes/crowd", ALICE, to=[anna.uri, *crowd])
    await _store(db, settings, [activity("Create", ALICE, note, f"{ALICE}/notes/crowd/activity")])
    widest: list[int] = []

    def note_width(_conn: Any, _cursor: Any, _statement: str, params: Any, *_: Any) -> None:
        widest.append(len(params or ()))

    event.listen(db.engine.sync_engine, "before_cursor_execute", note_width)
    try:
        assert await _one_batch(db, settings, world, node) == 1
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note_width)
    assert max(widest) <= 2 * READ_AHEAD
    async with db.session() as s:
        stored = await s.scalar(select(ContentObject).where(ContentObject.uri == note["id"]))
        state = await s.scalar(select(InboxMessage.state))
    assert stored is not None and state == "done"


async def test_a_group_reads_the_objects_it_creates_once_and_stores_a_repeat_once(
    db, settings
) -> None:
    """Replies mentioning anna by Alice and Bob, and Alice's Create of her reply sent again
    under another activity id: the group asks once which of the created objects we store,
    each reply is stored once, and the repeat is told the object is stored already."""
    world, anna, post, node = await _anna_and_three_known_senders(db, settings)
    mention = {"to": [anna.uri], "tag": [{"type": "Mention", "href": anna.uri, "name": "@anna"}]}
    alice_note, bob_note = f"{ALICE}/notes/1", f"{BOB}/notes/1"
    await _store(db, settings, [
        activity("Create", ALICE, remote_note(alice_note, ALICE, inReplyTo=post.uri, **mention),
                 f"{alice_note}/activity"),
        activity("Create", BOB, remote_note(bob_note, BOB, **mention), f"{bob_note}/activity"),
        activity("Create", ALICE, remote_note(alice_note, ALICE, inReplyTo=post.uri, **mention),
                 f"{alice_note}/activity-again"),
    ])  # fmt: skip
    reads: list[str] = []

    def note_object_reads(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        values = params.values() if isinstance(params, dict) else params or ()
        if statement.lstrip().startswith("SELECT") and alice_note in set(values):
            reads.append(" ".join(statement.split()))

    event.listen(db.engine.sync_engine, "before_cursor_execute", note_object_reads)
    try:
        assert await _one_batch(db, settings, world, node) == 3
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note_object_reads)
    # triage's reads of the batch (stored and deleted ids), then the group's read ahead
    assert len(reads) == 3 and all(" IN " in s for s in reads), reads
    async with db.session() as s:
        outcomes = dict(
            (await s.execute(select(InboxMessage.activity_uri, InboxMessage.last_error))).all()
        )
        stored = (await s.scalars(select(ContentObject.uri).where(
            ContentObject.local.is_(False)).order_by(ContentObject.uri))).all()  # fmt: skip
        replied = await s.get(ContentObject, post.id)
    assert outcomes == {
        f"{alice_note}/activity": None,
        f"{bob_note}/activity": None,
        f"{alice_note}/activity-again": "the object is stored already: a Create never changes it",
    }
    assert stored == sorted([alice_note, bob_note])
    assert replied is not None and replied.replies_count == 1
