"""Create, Update and Delete of remote notes: stored only when they concern this node, and
every origin and authority rule (PROTOCOL.md "Origin and authority") holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from smartnode.federation.fetch import FetchError
from smartnode.federation.vocab import PUBLIC
from smartnode.inbox.dispatch import dispatch
from smartnode.storage.models import ContentObject, DeletedObject, Follow, InboxMessage
from tests.conftest import make_member
from tests.content import activity, make_post, objects, remote_note
from tests.inbox import Fediverse, inbox_context, receive

ALICE = "https://mastodon.example/users/alice"
EVE = "https://mastodon.example/users/eve"
MALLORY = "https://evil.example/users/mallory"
NOTE = "https://mastodon.example/users/alice/statuses/1"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    for uri in (ALICE, EVE, MALLORY):
        fediverse.actor(uri)
    return fediverse


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


def create(note: dict[str, Any] | str, actor: str = ALICE, activity_id: str | None = None) -> dict:
    note_id = note if isinstance(note, str) else note["id"]
    return activity("Create", actor, note, activity_id or f"{note_id}/activity")


async def stored(db, uri: str = NOTE) -> ContentObject | None:
    async with db.session() as s:
        return await s.scalar(select(ContentObject).where(ContentObject.uri == uri))


async def test_note_mentioning_a_member_is_stored_sanitised_with_its_languages(
    db, settings, world, anna
) -> None:
    note = remote_note(
        NOTE, ALICE,
        content='<p>Hej <a href="javascript:x()" onclick="y">@anna</a><script>z()</script></p>',
        contentMap={"sv": "<p>Hej <b>anna</b></p>", "en": "<p>Hi</p>", "bad key!": "<p>x</p>"},
        tag=[{"type": "Mention", "href": anna.uri, "name": "@anna@se.smart.test"},
             {"type": "Hashtag", "href": "https://mastodon.example/tags/jazz", "name": "#jazz"}],
        attachment=[{"type": "Document", "mediaType": "image/png", "name": "A <b>stage</b>",
                     "url": "https://files.mastodon.example/a.png"}],
        inReplyTo=None, sensitive=True, summary="<p>cw</p>",
    )  # fmt: skip
    outcome = await receive(db, settings, world, create(note))
    assert outcome.status == "processed", outcome.reason
    row = await stored(db)
    assert row is not None and not row.local and row.ap_type == "Note"
    assert row.content == '<p>Hej <a rel="nofollow noopener noreferrer">@anna</a></p>'
    assert row.content_map == {"sv": "<p>Hej <b>anna</b></p>", "en": "<p>Hi</p>"}
    assert row.language == "sv" and row.visibility == "public" and row.sensitive
    assert row.audience == {"to": [PUBLIC], "cc": [f"{ALICE}/followers"]}
    assert row.tags[0] == {"type": "Mention", "href": anna.uri, "name": "@anna@se.smart.test"}
    assert row.attachments == [{"type": "Document", "url": "https://files.mastodon.example/a.png",
                                "mediaType": "image/png", "name": "A stage"}]  # fmt: skip
    assert row.published_at == datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


async def test_a_note_that_concerns_no_one_here_is_not_stored(db, settings, world, anna) -> None:
    outcome = await receive(db, settings, world, create(remote_note(NOTE, ALICE)))
    assert outcome.status == "ignored" and "concerns no one" in outcome.reason
    assert await objects(db) == []


async def test_a_note_by_someone_we_follow_is_stored(db, settings, world, anna) -> None:
    async with inbox_context(db, settings, world) as ctx:
        alice = await ctx.resolver.actor(ALICE)
        ctx.session.add(Follow(follower_id=anna.id, followed_id=alice.id, state="accepted",
                               created_at=ctx.now))  # fmt: skip
    note = remote_note(NOTE, ALICE, to=[f"{ALICE}/followers"], cc=[])
    outcome = await receive(db, settings, world, create(note))
    assert outcome.status == "processed"
    row = await stored(db)
    assert row is not None and row.visibility == "followers"


async def test_a_pending_follow_is_not_a_reason_to_store(db, settings, world, anna) -> None:
    async with inbox_context(db, settings, world) as ctx:
        alice = await ctx.resolver.actor(ALICE)
        ctx.session.add(Follow(follower_id=anna.id, followed_id=alice.id, state="pending",
                               created_at=ctx.now))  # fmt: skip
    outcome = await receive(db, settings, world, create(remote_note(NOTE, ALICE)))
    assert outcome.status == "ignored" and await objects(db) == []


async def test_a_note_delivered_to_a_members_own_inbox_is_stored(db, settings, world, anna) -> None:
    body = create(remote_note(NOTE, ALICE, to=[], cc=[]))
    async with inbox_context(db, settings, world) as ctx:
        message = InboxMessage(
            activity_uri=body["id"], inbox=f"{anna.uri}/inbox", actor_uri=ALICE,
            activity_type="Create", body=body, received_at=ctx.now, state="pending",
            run_at=ctx.now, attempts=0,
        )  # fmt: skip
        ctx.session.add(message)
        await ctx.session.flush()
        outcome = await dispatch(ctx, message)
    assert outcome.status == "processed"
    row = await stored(db)
    assert row is not None and row.visibility == "direct"


async def test_a_reply_to_our_post_is_threaded(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna, content="Fråga?")
    note = remote_note(NOTE, ALICE, inReplyTo=post.uri)
    assert (await receive(db, settings, world, create(note))).status == "processed"
    parent, reply = await objects(db)
    assert (parent.replies_count, reply.kind, reply.in_reply_to_uri) == (1, "reply", post.uri)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b: b.update(id="https://evil.example/activities/1"), "id is not on its actor"),
        (lambda b: b["object"].update(id="https://evil.example/notes/1"), "not on its actor"),
        (lambda b: b["object"].update(attributedTo=EVE), "not attributed to the Create's actor"),
        (lambda b: b["object"].update(type="Audio"), "Create of Audio is not handled yet"),
        (
            lambda b: b.update(object=b["object"]["id"].replace("alice", "al")),
            "could not be fetched",
        ),
    ],
)
async def test_origin_and_authority_rules_refuse_a_create(
    db, settings, world, anna, change, reason
) -> None:
    body = create(remote_note(NOTE, ALICE, cc=[anna.uri]))
    change(body)
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "ignored" and reason in outcome.reason
    assert await objects(db) == []
    assert [u for u in world.fetched() if "statuses" in u or "evil.example/notes" in u] == (
        [body["object"]] if isinstance(body["object"], str) else []
    )


async def test_a_create_given_only_the_id_fetches_the_object_from_its_origin(
    db, settings, world, anna
) -> None:
    note = remote_note(NOTE, ALICE, cc=[anna.uri], content="<p>fetched</p>")
    world.serve(NOTE, {"@context": "https://www.w3.org/ns/activitystreams", **note})
    outcome = await receive(db, settings, world, create(NOTE))
    assert outcome.status == "processed"
    row = await stored(db)
    assert row is not None and row.content == "<p>fetched</p>"
    assert NOTE in world.fetched()


async def test_a_create_whose_origin_fails_for_now_is_retried(db, settings, world, anna) -> None:
    world.serve(NOTE, {"error": "busy"}, status=503)
    with pytest.raises(FetchError):
        await receive(db, settings, world, create(NOTE))
    assert await objects(db) == []


async def test_a_create_reusing_a_stored_id_never_widens_its_audience(
    db, settings, world, anna
) -> None:
    private = remote_note(NOTE, ALICE, to=[anna.uri], cc=[], content="<p>secret</p>")
    assert (await receive(db, settings, world, create(private))).status == "processed"
    widened = remote_note(NOTE, ALICE, to=[PUBLIC], cc=[anna.uri], content="<p>changed</p>")
    outcome = await receive(db, settings, world, create(widened, activity_id=f"{NOTE}/again"))
    assert outcome.status == "ignored" and "never changes it" in outcome.reason
    row = await stored(db)
    assert row is not None and (row.visibility, row.content) == ("direct", "<p>secret</p>")
    assert row.audience == {"to": [anna.uri], "cc": []}


async def test_a_delete_before_the_create_wins(db, settings, world, anna) -> None:
    deleted = await receive(db, settings, world, activity("Delete", ALICE, NOTE, f"{NOTE}#delete"))
    assert deleted.status == "processed"
    late = await receive(db, settings, world, create(remote_note(NOTE, ALICE, cc=[anna.uri])))
    assert late.status == "ignored" and "deleted before" in late.reason
    assert await objects(db) == []


async def test_another_actor_deleting_first_does_not_suppress_the_create(
    db, settings, world, anna
) -> None:
    await receive(db, settings, world, activity("Delete", EVE, NOTE, f"{EVE}#delete"))
    outcome = await receive(db, settings, world, create(remote_note(NOTE, ALICE, cc=[anna.uri])))
    assert outcome.status == "processed"


async def _store_note(db, settings, world, anna, **fields: Any) -> None:
    note = remote_note(NOTE, ALICE, **{"cc": [anna.uri], **fields})
    assert (await receive(db, settings, world, create(note))).status == "processed"


def update(note: dict[str, Any], actor: str = ALICE, activity_id: str = f"{NOTE}#update") -> dict:
    return activity("Update", actor, note, activity_id)


async def test_update_by_the_owner_changes_content_but_never_the_audience(
    db, settings, world, anna
) -> None:
    await _store_note(db, settings, world, anna, to=[anna.uri], cc=[])
    edited = remote_note(NOTE, ALICE, to=[PUBLIC], cc=[], content="<p>edited<script>x</script></p>",
                         updated="2026-11-26T12:30:00Z")  # fmt: skip
    later = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # the edit arrives after it was made
    outcome = await receive(db, settings, world, update(edited), now=later)
    assert outcome.status == "processed", outcome.reason
    row = await stored(db)
    assert row is not None and row.content == "<p>edited</p>"
    assert row.visibility == "direct" and row.audience == {"to": [anna.uri], "cc": []}
    assert row.updated_at == datetime(2026, 11, 26, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("actor", "fields", "reason"),
    [
        (EVE, {}, "only the stored owner"),
        (ALICE, {"attributedTo": EVE}, "same object by the same owner"),
        (ALICE, {"updated": "2026-11-26T10:00:00Z"}, "not newer"),
    ],
)
async def test_update_refused_unless_by_the_stored_owner_and_newer(
    db, settings, world, anna, actor, fields, reason
) -> None:
    await _store_note(db, settings, world, anna)
    edited = remote_note(NOTE, ALICE, content="<p>hijacked</p>", **fields)
    outcome = await receive(db, settings, world, update(edited, actor, f"{actor}#update"))
    assert outcome.status == "ignored" and reason in outcome.reason
    row = await stored(db)
    assert row is not None and row.content == "<p>Hello</p>"


async def test_update_from_another_origin_is_refused(db, settings, world, anna) -> None:
    await _store_note(db, settings, world, anna)
    edited = remote_note(NOTE, MALLORY, content="<p>hijacked</p>")
    outcome = await receive(db, settings, world, update(edited, MALLORY, f"{MALLORY}#u"))
    assert outcome.status == "ignored" and "origin" in outcome.reason
    assert (await stored(db)).content == "<p>Hello</p>"


async def test_delete_by_the_stored_owner_purges_and_unthreads(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna, content="Fråga?")
    await _store_note(db, settings, world, anna, inReplyTo=post.uri)
    by_eve = await receive(db, settings, world, activity("Delete", EVE, NOTE, f"{EVE}#d"))
    assert by_eve.status == "ignored" and "stored owner" in by_eve.reason
    assert (await stored(db)).content == "<p>Hello</p>"
    by_alice = await receive(db, settings, world, activity("Delete", ALICE, NOTE, f"{ALICE}#d"))
    assert by_alice.status == "processed"
    row = await stored(db)
    assert row is not None and row.deleted_at is not None and row.content == ""
    parent = await stored(db, post.uri)
    assert parent is not None and parent.replies_count == 0
    async with db.session() as s:
        marker = await s.get(DeletedObject, NOTE)
    assert marker is not None and marker.actor_uri == ALICE
    again = await receive(db, settings, world, create(remote_note(NOTE, ALICE, cc=[anna.uri]),
                                                      activity_id=f"{NOTE}/re"))  # fmt: skip
    assert again.status == "ignored"


async def test_a_remote_actor_may_not_delete_our_posts(db, settings, world, anna) -> None:
    post = await make_post(db, settings, anna)
    outcome = await receive(db, settings, world, activity("Delete", ALICE, post.uri, f"{ALICE}#d"))
    assert outcome.status == "ignored"
    row = await stored(db, post.uri)
    assert row is not None and row.deleted_at is None
