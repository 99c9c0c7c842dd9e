"""A member's home timeline: what they follow (here and elsewhere) and their own, newest first,
only what they may read, paged by row id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from smartnode.content.compose import plain_text
from smartnode.content.timeline import home_timeline
from smartnode.storage.models import Actor, ContentObject, Follow
from tests.conftest import make_member, make_project
from tests.content import activity, make_post, remote_note, remote_person
from tests.inbox import Fediverse, receive
from tests.inbox.applications import make_call

ALICE = "https://mastodon.example/users/alice"


async def follow(db, follower: Actor, followed: Actor) -> None:
    async with db.session() as s, s.begin():
        s.add(Follow(follower_id=follower.id, followed_id=followed.id, state="accepted",
                     created_at=datetime.now(UTC)))  # fmt: skip


async def timeline(db, member: Actor) -> list[str]:
    """The timeline's items by title (a call) or text (a post)."""
    async with db.session() as s:
        rows = await home_timeline(s, member, limit=50)
    return [obj.name or plain_text(obj.content) for obj, _author in rows]


async def test_the_home_timeline_shows_what_the_member_follows_and_may_read(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    ben = await make_member(db, settings, "ben")
    cleo = await make_member(db, settings, "cleo")
    jazz = await make_project(db, settings, "Jazz", "ben")
    world = Fediverse()
    world.actor(ALICE, name="Alice")
    for followed in (ben, jazz):
        await follow(db, anna, followed)
    await make_post(db, settings, ben, content="Ben public")
    await make_post(db, settings, ben, content="Ben followers", visibility="followers")
    await make_post(db, settings, ben, content="Ben direct", visibility="direct",
                    mentions=[cleo.uri])  # fmt: skip
    await make_post(db, settings, cleo, content="Cleo public")
    gone = await make_post(db, settings, ben, content="Ben deleted")
    async with db.session() as s, s.begin():
        await s.execute(update(ContentObject).where(ContentObject.id == gone.id)
                        .values(deleted_at=datetime.now(UTC)))  # fmt: skip
    await make_call(db, settings, jazz, title="Drummer")
    await make_post(db, settings, anna, content="Anna own")
    async with db.session() as s, s.begin():
        alice = remote_person(ALICE)
        s.add(alice)
    await follow(db, anna, alice)
    note = remote_note(f"{ALICE}/statuses/1", ALICE, content="<p>Alice public</p>")
    assert (await receive(db, settings, world, activity("Create", ALICE, note))).status == (
        "processed"
    )
    assert await timeline(db, anna) == [
        "Alice public", "Anna own", "Drummer", "Ben followers", "Ben public",
    ]  # fmt: skip
    assert await timeline(db, cleo) == ["Cleo public"]


async def test_the_home_timeline_pages_by_row_id(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    for n in range(5):
        await make_post(db, settings, anna, content=f"Post {n}")
    async with db.session() as s:
        first = await home_timeline(s, anna, limit=2)
        rest = await home_timeline(s, anna, limit=10, before_id=first[-1][0].id)
    assert [o.content for o, _ in first] == ["<p>Post 4</p>", "<p>Post 3</p>"]
    assert [o.content for o, _ in rest] == ["<p>Post 2</p>", "<p>Post 1</p>", "<p>Post 0</p>"]
