"""FEP-1b12 relays: a Group we follow announces its members' Create/Update/Delete (embedded
cross-origin objects are refetched), and our projects relay their team members' public posts
to their followers as two Announces (of the Create, and of the Note)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from smartnode.actors.projects import Role, add_to_team
from smartnode.actors.records import node_uris
from smartnode.content.announcements import delete_announcement, edit_announcement
from smartnode.content.inputs import AnnouncementUpdate
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Actor, ContentObject, Follow, Reaction
from tests.conftest import make_member, make_project
from tests.content import (
    activities,
    activity,
    add_follower,
    fan_out,
    make_post,
    objects,
    remote_note,
)
from tests.inbox import Fediverse, count, inbox_context, receive

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
GROUP = "https://be.smart.test/projects/jazz"
BOB = "https://remote.example/users/bob"
LOCAL_TO_GROUP = "https://be.smart.test/members/lena"
DAVE = "https://remote.example/users/dave"
OPERA = "https://se.smart.test/projects/opera"
FOLLOWER = "https://mastodon.example/users/fan"


async def world(db: Database, settings) -> Fediverse:
    anna = await make_member(db, settings, "anna")
    await make_project(db, settings, "Opera", "anna", slug="opera")
    fediverse = Fediverse()
    for uri in (BOB, DAVE, LOCAL_TO_GROUP, FOLLOWER):
        fediverse.actor(uri)
    fediverse.actor(GROUP, type="Group")
    async with inbox_context(db, settings, fediverse) as ctx:
        group = await ctx.resolver.actor(GROUP)
        assert group is not None
        ctx.session.add(Follow(follower_id=anna.id, followed_id=group.id, state="accepted",
                               created_at=datetime.now(UTC)))  # fmt: skip
    return fediverse


def relayed(inner: dict[str, Any], n: int = 1) -> dict[str, Any]:
    """The Group's Announce of a member's activity, as Lemmy sends it."""
    body = activity("Announce", GROUP, {k: v for k, v in inner.items() if k != "@context"})
    return body | {"id": f"{GROUP}/activities/announce/{n}", "to": [PUBLIC],
                   "cc": [f"{GROUP}/followers"]}  # fmt: skip


async def contents(db: Database) -> dict[str, str]:
    return {o.uri: o.content for o in await objects(db) if not o.local}


async def test_an_embedded_cross_origin_object_is_refetched_from_its_origin(db, settings) -> None:
    fediverse = await world(db, settings)
    note_id = f"{BOB}/statuses/1"
    fediverse.serve(note_id, remote_note(note_id, BOB, content="<p>the real post</p>"))
    forged = remote_note(note_id, BOB, content="<p>FORGED by the relay</p>")
    outcome = await receive(db, settings, fediverse, relayed(activity("Create", BOB, forged)))
    assert outcome.status == "processed", outcome.reason
    assert note_id in fediverse.fetched()
    assert await contents(db) == {note_id: "<p>the real post</p>"}
    assert await count(db, Reaction) == 0  # a relay is not a boost

    again = await receive(db, settings, fediverse, relayed(activity("Create", BOB, forged), 2))
    assert again.status == "ignored" and len(await contents(db)) == 1


async def test_nothing_is_stored_when_the_refetch_fails(db, settings) -> None:
    fediverse = await world(db, settings)
    forged = remote_note(f"{BOB}/statuses/404", BOB, content="<p>FORGED</p>")
    outcome = await receive(db, settings, fediverse, relayed(activity("Create", BOB, forged)))
    assert outcome.status == "ignored" and await contents(db) == {}


async def test_an_object_on_the_groups_origin_is_taken_embedded(db, settings) -> None:
    fediverse = await world(db, settings)
    note_id = f"{LOCAL_TO_GROUP}/statuses/7"
    note = remote_note(note_id, LOCAL_TO_GROUP, content="<p>from the group's node</p>")
    outcome = await receive(
        db, settings, fediverse, relayed(activity("Create", LOCAL_TO_GROUP, note))
    )
    assert outcome.status == "processed"
    assert note_id not in fediverse.fetched()
    assert await contents(db) == {note_id: "<p>from the group's node</p>"}


async def test_forged_relays_store_nothing(db, settings) -> None:
    fediverse = await world(db, settings)
    note_id = f"{BOB}/statuses/2"
    fediverse.serve(note_id, remote_note(note_id, BOB))
    wrong_actor = relayed(activity("Create", DAVE, remote_note(note_id, BOB)))
    assert (await receive(db, settings, fediverse, wrong_actor)).status == "ignored"
    by_person = relayed(activity("Create", BOB, remote_note(note_id, BOB))) | {
        "actor": DAVE,
        "id": f"{DAVE}#a",
    }
    assert (await receive(db, settings, fediverse, by_person)).status == "ignored"
    assert await contents(db) == {}


async def test_relayed_update_and_delete_apply_only_as_the_origin_confirms(db, settings) -> None:
    fediverse = await world(db, settings)
    note_id = f"{BOB}/statuses/3"
    fediverse.serve(note_id, remote_note(note_id, BOB, content="<p>v1</p>"))
    await receive(db, settings, fediverse, relayed(activity("Create", BOB, note_id)))
    fediverse.serve(note_id, remote_note(note_id, BOB, content="<p>v2</p>"))
    update = relayed(activity("Update", BOB, remote_note(note_id, BOB, content="<p>FORGED</p>")), 2)
    assert (await receive(db, settings, fediverse, update)).status == "processed"
    assert await contents(db) == {note_id: "<p>v2</p>"}

    delete = relayed(activity("Delete", BOB, {"id": note_id, "type": "Tombstone"}), 3)
    refuted = await receive(db, settings, fediverse, delete)
    assert refuted.status == "ignored" and await contents(db) == {note_id: "<p>v2</p>"}
    fediverse.serve(note_id, {"error": "gone"}, status=410)
    delete = relayed(activity("Delete", BOB, {"id": note_id, "type": "Tombstone"}), 4)
    assert (await receive(db, settings, fediverse, delete)).status == "processed"
    [row] = await objects(db)
    assert row.deleted_at is not None and row.content == ""


def check_pair(group: Activity, boost: Activity, create_id: str, note_id: str) -> None:
    followers = f"{OPERA}/followers"
    assert group.document["actor"] == boost.document["actor"] == OPERA
    inner = group.document["object"]
    assert (inner["type"], inner["id"], inner["object"]["id"]) == ("Create", create_id, note_id)
    assert boost.document["object"] == note_id
    for sent in (group, boost):
        assert (sent.document["to"], sent.document["cc"]) == ([PUBLIC], [followers])


async def test_a_local_members_post_to_the_project_is_relayed_twice(db, settings) -> None:
    await world(db, settings)
    async with db.session() as s:
        anna = await s.scalar(select(Actor).where(Actor.username == "anna"))
        opera = await s.scalar(select(Actor).where(Actor.uri == OPERA))
    assert anna is not None and opera is not None
    await add_follower(db, opera, FOLLOWER)
    post = await make_post(db, settings, anna, project="opera")
    [create] = await activities(db, "Create")
    group, boost = await activities(db, "Announce")
    check_pair(group, boost, create.uri, post.uri)
    for sent in (group, boost):
        assert await fan_out(db, settings, sent) == ["https://mastodon.example/users/fan/inbox"]

    await make_post(db, settings, anna)  # not to the project
    await make_post(db, settings, anna, project="opera", visibility="team")
    assert len(await activities(db, "Announce")) == 2


async def test_a_remote_team_members_post_to_the_project_is_relayed(db, settings) -> None:
    fediverse = await world(db, settings)
    async with inbox_context(db, settings, fediverse) as ctx:
        opera, bob = await ctx.resolver.actor(OPERA), await ctx.resolver.actor(BOB)
        assert opera is not None and bob is not None
        await add_to_team(ctx.session, opera, bob, Role.MEMBER, ctx.now)
    note = remote_note(f"{BOB}/statuses/9", BOB, cc=[f"{BOB}/followers", OPERA])
    create = activity("Create", BOB, note)
    assert (await receive(db, settings, fediverse, create)).status == "processed"
    group, boost = await activities(db, "Announce")
    check_pair(group, boost, create["id"], note["id"])

    stranger = remote_note(f"{DAVE}/statuses/1", DAVE, cc=[OPERA])
    assert (await receive(db, settings, fediverse, activity("Create", DAVE, stranger))).status == (
        "processed"
    )
    assert len(await activities(db, "Announce")) == 2  # non-members are not relayed
    stored = {o.uri for o in await objects(db)}
    assert {note["id"], stranger["id"]} <= stored and await count(db, ContentObject) == 2


def announced(sent: list[Activity], kind: str) -> list[dict[str, Any]]:
    """The inner activities of `kind` the project announced."""
    inner = [a.document["object"] for a in sent]
    return [i for i in inner if isinstance(i, dict) and i["type"] == kind]


async def test_a_local_members_edit_and_deletion_of_a_relayed_post_are_relayed(
    db, settings
) -> None:
    await world(db, settings)
    async with db.session() as s:
        anna = await s.scalar(select(Actor).where(Actor.username == "anna"))
        opera = await s.scalar(select(Actor).where(Actor.uri == OPERA))
    assert anna is not None and opera is not None
    await add_follower(db, opera, FOLLOWER)
    post = await make_post(db, settings, anna, project="opera")
    alone = await make_post(db, settings, anna)  # not to the project: never relayed
    uris = node_uris(settings)
    for edited in (post, alone):
        async with db.session() as s, s.begin():
            row = await s.get(ContentObject, edited.id)
            assert row is not None
            await edit_announcement(s, uris, row, AnnouncementUpdate(content="Ändrat"), NOW)
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, post.id)
        assert row is not None
        await delete_announcement(s, uris, row, NOW)

    sent = [a for a in await activities(db, "Announce") if a.document["actor"] == OPERA]
    [update], [delete] = announced(sent, "Update"), announced(sent, "Delete")
    [our_update] = [a for a in await activities(db, "Update") if a.object_uri == post.uri]
    [our_delete] = await activities(db, "Delete")
    assert (update["id"], update["object"]["id"]) == (our_update.uri, post.uri)
    assert (delete["id"], delete["object"]["id"]) == (our_delete.uri, post.uri)
    relays = [a for a in sent if a.document["object"] in (update, delete)]
    for relay in relays:
        assert await fan_out(db, settings, relay) == ["https://mastodon.example/users/fan/inbox"]
    assert len(sent) == 4  # the Create's two Announces, then one per change


async def test_a_remote_team_members_edit_and_deletion_are_relayed(db, settings) -> None:
    fediverse = await world(db, settings)
    async with inbox_context(db, settings, fediverse) as ctx:
        opera, bob = await ctx.resolver.actor(OPERA), await ctx.resolver.actor(BOB)
        assert opera is not None and bob is not None
        await add_to_team(ctx.session, opera, bob, Role.MEMBER, ctx.now)
    note = remote_note(f"{BOB}/statuses/10", BOB, cc=[f"{BOB}/followers", OPERA])
    assert (await receive(db, settings, fediverse, activity("Create", BOB, note))).status == (
        "processed"
    )
    changed = {**note, "content": "<p>Changed</p>", "updated": "2026-11-27T11:00:00Z"}
    update = activity("Update", BOB, changed)
    assert (await receive(db, settings, fediverse, update)).status == "processed"
    delete = activity("Delete", BOB, {"id": note["id"], "type": "Tombstone"})
    assert (await receive(db, settings, fediverse, delete)).status == "processed"

    sent = await activities(db, "Announce")
    assert [u["id"] for u in announced(sent, "Update")] == [update["id"]]
    assert [d["id"] for d in announced(sent, "Delete")] == [delete["id"]]
    assert len(sent) == 4
