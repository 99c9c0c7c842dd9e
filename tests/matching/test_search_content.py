"""Events and public posts in the search index: found by their words (an event also by its days,
place and country) while they are public and live, never a reply or a post its author keeps out
of search; written through the real services and the inbox, the index follows by itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from smartnode.actors.inputs import MemberUpdate
from smartnode.actors.members import update_member
from smartnode.actors.records import node_uris
from smartnode.content.announcements import delete_announcement, edit_announcement
from smartnode.content.events import delete_event, edit_event
from smartnode.content.events_inputs import EventUpdate
from smartnode.content.inputs import AnnouncementUpdate
from smartnode.federation.fetch import Fetcher
from smartnode.federation.vocab import PUBLIC
from smartnode.matching.search import Filters
from smartnode.matching.search_index import reindex, reindex_all
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.models_search import SearchDocument, SearchEmbedding
from smartnode.worker import Worker
from tests.conftest import make_member
from tests.content import activity, make_post, remote_note
from tests.inbox import NOW, Fediverse, inbox_context, receive
from tests.matching.search_arrange import documents, found, publish_event, uris

ALICE = "https://mastodon.example/users/alice"
LEA = "https://mobilizon.example/@lea"
NOTE = f"{ALICE}/statuses/1"
EVENT = "https://mobilizon.example/events/1"


async def row(db: Any, object_id: int) -> ContentObject:
    async with db.session() as s:
        found_row = await s.get(ContentObject, object_id)
    assert found_row is not None
    return found_row


async def set_visibility(db: Any, object_id: int, visibility: str) -> None:
    async with db.session() as s, s.begin():
        changed = await s.get(ContentObject, object_id)
        assert changed is not None
        changed.visibility = visibility


def days(start: str, end: str, kind: str = "event") -> Filters:
    return Filters(kinds=[kind], date_from=date.fromisoformat(start),
                   date_to=date.fromisoformat(end))  # fmt: skip


# ---------------------------------------------------------------- events


async def test_a_public_event_is_found_by_its_words_place_and_days_in_its_zone(
    db, settings
) -> None:
    anna = await make_member(db, settings, "anna", language="sv")  # events need no opt-in
    jazz = await publish_event(db, settings, anna, online_url="https://meet.example/jazz")
    hidden = await publish_event(db, settings, anna, name="Hemlig nyårsjazz",
                                 visibility="followers")  # fmt: skip
    page = await found(db, "frijazz")
    assert [(h.uri, h.kind) for h in page.hits] == [(jazz.uri, "event")]
    hit = page.hits[0]
    assert (hit.title, hit.country, hit.language, hit.local) == ("Nyårsjazz", "SE", "sv", True)
    assert hit.remote  # it can be joined online
    assert "&amp;" in hit.snippet and "<b>" not in hit.snippet and "fyrverkerier" in hit.snippet
    assert await uris(db, "Malmö Opera", Filters(kinds=["event"])) == [jazz.uri]
    assert await uris(db, "", Filters(country="SE")) == [jazz.uri]
    assert await uris(db, "Hemlig") == [] and hidden.uri not in await documents(db)
    # Its day is 1 January where it happens (31 December in UTC).
    assert await uris(db, "", days("2031-01-01", "2031-01-01")) == [jazz.uri]
    assert await uris(db, "", days("2030-12-31", "2030-12-31")) == []
    assert await uris(db, "", days("2030-12-01", "2030-12-31", kind="call")) == []

    later = NOW + timedelta(minutes=1)
    moved = datetime(2031, 2, 14, 19, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        await edit_event(s, node_uris(settings), await s.get(ContentObject, jazz.id),
                         EventUpdate(starts_at=moved, ends_at=moved + timedelta(hours=2),
                                     name="Alla hjärtans jazz"), later)  # fmt: skip
    assert await uris(db, "", days("2031-01-01", "2031-01-01")) == []
    assert await uris(db, "", days("2031-02-14", "2031-02-14")) == [jazz.uri]
    assert (await found(db, "frijazz")).hits[0].title == "Alla hjärtans jazz"

    await set_visibility(db, jazz.id, "followers")
    assert await uris(db, "frijazz") == [] and jazz.uri not in await documents(db)
    await set_visibility(db, jazz.id, "public")
    assert await uris(db, "frijazz") == [jazz.uri]
    async with db.session() as s, s.begin():
        await delete_event(s, node_uris(settings), await s.get(ContentObject, jazz.id), later)
    assert await uris(db, "frijazz") == [] and await documents(db) == {}


# ---------------------------------------------------------------- posts


async def test_public_posts_are_found_and_replies_private_or_deleted_ones_never(
    db, settings
) -> None:
    anna = await make_member(db, settings, "anna", language="sv", indexable=True)
    bo = await make_member(db, settings, "bo")
    public = await make_post(db, settings, anna, content="Vi repeterar Tosca i Malmö. #opera")
    article = await make_post(db, settings, anna, name="Om ljuset i Tosca",
                              content="Ljussättningen är klar.")  # fmt: skip
    warned = await make_post(db, settings, anna, content="Tosca dör i slutet, zorblax.",
                             content_warning="Slutet på Tosca")  # fmt: skip
    others = [
        await make_post(db, settings, anna, content="Tosca zorblax", visibility=visibility)
        for visibility in ("unlisted", "followers", "direct")
    ]
    others.append(await make_post(db, settings, anna, content="Tosca zorblax, svar",
                                  in_reply_to=public.uri))  # fmt: skip
    others.append(await make_post(db, settings, anna, content="Tosca zorblax @bo",
                                  mentions=[bo.uri], visibility="direct"))  # fmt: skip
    assert {(await row(db, o.id)).kind for o in others} == {"announcement", "reply"}
    assert await uris(db, "zorblax") == []  # the warned post is found by its warning only
    assert set(await uris(db, "tosca", Filters(kinds=["post"]))) == {
        public.uri, article.uri, warned.uri}  # fmt: skip
    assert await documents(db) == {public.uri: "post", article.uri: "post", warned.uri: "post"}
    titles = {h.uri: h.title for h in (await found(db, "tosca")).hits}
    assert titles == {public.uri: "Vi repeterar Tosca i Malmö. #opera",
                      article.uri: "Om ljuset i Tosca", warned.uri: "Slutet på Tosca"}  # fmt: skip
    assert await uris(db, "opera", Filters(kinds=["post"], language="sv")) == [public.uri]
    assert await uris(db, "opera", Filters(kinds=["event", "call"])) == []

    await set_visibility(db, public.id, "followers")
    assert public.uri not in await documents(db)
    async with db.session() as s, s.begin():
        gone = await s.get(ContentObject, article.id)
        await delete_announcement(s, node_uris(settings), gone, NOW)
    assert await uris(db, "ljussättningen") == [] and article.uri not in await documents(db)


async def test_posts_are_found_only_while_their_author_lets_them_be(db, settings) -> None:
    bo = await make_member(db, settings, "bo")  # indexable is off by default
    post = await make_post(db, settings, bo, content="Zorblax på turné.")
    assert await uris(db, "zorblax") == [] and await documents(db) == {}
    async with db.session() as s, s.begin():
        await update_member(s, "bo", MemberUpdate(indexable=True), NOW)
    # His posts, not him: he is not in the directory.
    assert await documents(db) == {post.uri: "post"}
    async with db.session() as s, s.begin():
        await update_member(s, "bo", MemberUpdate(indexable=False), NOW)
    assert await uris(db, "zorblax") == [] and await documents(db) == {}


def worker(db: Any, settings: Any) -> Worker:
    fetcher = Fetcher(settings, transport=httpx.MockTransport(Fediverse().handle))
    return Worker(settings, db, fetcher, signer=None, deliverer=None)


async def embedded(db: Any) -> dict[str, str]:
    """uri → text hash of every stored embedding."""
    async with db.session() as s:
        rows = await s.execute(
            select(SearchDocument.uri, SearchEmbedding.text_hash).join(
                SearchEmbedding, SearchEmbedding.doc_id == SearchDocument.id
            )
        )
    return {uri: text_hash for uri, text_hash in rows}


async def test_an_edited_post_follows_the_edit_and_is_embedded_again(db, settings) -> None:
    anna = await make_member(db, settings, "anna", language="sv", indexable=True)
    post = await make_post(db, settings, anna, content="Ljudtekniker sökes till Tosca.")
    jazz = await publish_event(db, settings, anna)
    work = worker(db, settings)
    assert (await work.run_once(NOW)).embedded == 2  # the worker embeds both kinds
    first = await embedded(db)
    assert set(first) == {post.uri, jazz.uri}
    later = NOW + timedelta(minutes=1)
    async with db.session() as s, s.begin():
        edited = await s.get(ContentObject, post.id)
        change = AnnouncementUpdate(content="Fotograf sökes till Carmen.")
        await edit_announcement(s, node_uris(settings), edited, change, later)
    assert await uris(db, "carmen") == [post.uri] and await uris(db, "tosca") == []
    assert await embedded(db) == {jazz.uri: first[jazz.uri]}  # gone with the old text
    assert (await work.run_once(later)).embedded == 1
    again = await embedded(db)
    assert again[jazz.uri] == first[jazz.uri] and again[post.uri] != first[post.uri]


async def test_reindex_all_rebuilds_events_and_posts(db, settings) -> None:
    anna = await make_member(db, settings, "anna", language="sv", indexable=True)
    post = await make_post(db, settings, anna, content="Zorblax repeterar.")
    await make_post(db, settings, anna, content="Zorblax svarar.", in_reply_to=post.uri)
    await make_post(db, settings, anna, content="Zorblax hemligt.", visibility="followers")
    jazz = await publish_event(db, settings, anna, content="Zorblax spelar.")
    before = await documents(db)
    assert before == {post.uri: "post", jazz.uri: "event"}
    async with db.session() as s, s.begin():
        await s.execute(SearchDocument.__table__.delete())
        # A stale document of something no longer findable goes too.
        s.add(SearchDocument(
            source="object", ref=jazz.id + 1000, kind="post", uri="x:gone", local=True,
            language="sv", title="gone", body="", folded="", country="", remote=False,
            published_at=NOW, updated_at=NOW,
        ))  # fmt: skip
    async with db.session() as s, s.begin():
        assert await reindex_all(s) == 2
    assert await documents(db) == before
    assert set(await uris(db, "zorblax")) == {post.uri, jazz.uri}
    async with db.session() as s, s.begin():
        await s.execute(SearchDocument.__table__.delete())
        await reindex(s, "event", jazz.id)
        await reindex(s, "post", post.id)
    assert await documents(db) == before


# ---------------------------------------------------------------- remote ones


def mobilizon_event(**fields: Any) -> dict[str, Any]:
    return {
        "id": EVENT, "type": "Event", "attributedTo": LEA, "name": "Repair café <b>!</b>",
        "content": "<p>Bring your toaster &amp; kettle</p>", "published": "2026-11-26T09:00:00Z",
        "startTime": "2026-12-12T14:00:00+01:00", "endTime": "2026-12-12T17:00:00+01:00",
        "timezone": "Europe/Paris",
        "location": {"type": "Place", "name": "La Recyclerie",
                     "address": {"type": "PostalAddress", "addressLocality": "Paris",
                                 "addressCountry": "France"}},
        "to": [PUBLIC], "cc": [f"{LEA}/followers"], **fields,
    }  # fmt: skip


async def _follow(db: Any, settings: Any, world: Fediverse, member: Actor, uri: str) -> None:
    async with inbox_context(db, settings, world) as ctx:
        followed = await ctx.resolver.actor(uri)
        assert followed is not None
        ctx.session.add(Follow(follower_id=member.id, followed_id=followed.id, state="accepted",
                               created_at=ctx.now))  # fmt: skip


async def test_remote_posts_and_events_follow_their_updates_deletes_and_consent(
    db, settings
) -> None:
    world = Fediverse()
    world.actor(ALICE, indexable=True)
    world.actor(LEA, preferredUsername="lea")  # Mobilizon says nothing of `indexable`
    anna = await make_member(db, settings, "anna")
    for uri in (ALICE, LEA):
        await _follow(db, settings, world, anna, uri)

    def create(doc: dict[str, Any], actor: str) -> dict[str, Any]:
        return activity("Create", actor, doc, f"{doc['id']}/activity")

    notes = [
        remote_note(NOTE, ALICE, content="<p>Zorblax concert in Gent</p>"),
        remote_note(f"{ALICE}/statuses/2", ALICE, content="<p>Zorblax, for followers</p>",
                    to=[f"{ALICE}/followers"], cc=[]),
        remote_note(f"{ALICE}/statuses/3", ALICE, content="<p>Zorblax reply</p>",
                    inReplyTo="https://elsewhere.example/notes/9"),
        remote_note(f"{LEA}/notes/1", LEA, content="<p>Zorblax from Léa</p>"),
    ]  # fmt: skip
    for note in notes:
        outcome = await receive(db, settings, world, create(note, note["attributedTo"]))
        assert outcome.status == "processed", outcome.reason
    assert (await receive(db, settings, world, create(mobilizon_event(), LEA))).status == (
        "processed"
    )
    page = await found(db, "zorblax")
    assert [(h.uri, h.kind, h.local) for h in page.hits] == [(NOTE, "post", False)]
    [event] = (await found(db, "toaster", Filters(kinds=["event"], local=False))).hits
    assert (event.uri, event.title, event.country) == (EVENT, "Repair café !", "")
    assert "&amp; kettle" in event.snippet
    assert await uris(db, "Recyclerie Paris") == [EVENT]
    assert await uris(db, "", days("2026-12-12", "2026-12-12")) == [EVENT]

    edit = {**notes[0], "content": "<p>Zorblax concert in Antwerpen</p>",
            "updated": "2026-11-26T11:30:00Z"}  # fmt: skip
    outcome = await receive(db, settings, world, activity("Update", ALICE, edit, f"{NOTE}#u1"))
    assert outcome.status == "processed", outcome.reason
    assert await uris(db, "antwerpen") == [NOTE] and await uris(db, "gent") == []

    world.actor(ALICE, indexable=False)  # Alice withdraws her consent
    refresh = activity("Update", ALICE, ALICE, f"{ALICE}#updates/1")
    assert (await receive(db, settings, world, refresh)).status == "processed"
    assert await uris(db, "antwerpen") == [] and NOTE not in await documents(db)

    bye = activity("Delete", LEA, EVENT, f"{EVENT}#delete")
    assert (await receive(db, settings, world, bye)).status == "processed"
    assert await documents(db) == {}
