"""Topic feeds: which calls a filter takes, and the worker's round that has each matching feed
Announce a public open call to its followers — once, signed by the feed, on the wire."""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
import pytest
from sqlalchemy import select

from smartnode.actors.feeds import delete_feed
from smartnode.actors.records import node_uris
from smartnode.federation.fetch import Fetcher
from smartnode.federation.vocab import PUBLIC
from smartnode.matching.feeds import CallFacts, announce_call_to_feeds, call_facts, matches
from smartnode.storage.models import Activity, ContentObject, Delivery, Follow
from smartnode.worker import Worker
from tests.conftest import make_member, make_project
from tests.inbox import Fediverse, receive
from tests.matching.feeds_arrange import (
    MIXING,
    NOW,
    SOUND_DESIGNER,
    call,
    feed,
    follower,
    remote_actor,
)

SOUND = {"occupation": SOUND_DESIGNER, "skills": [{"uri": MIXING, "name": "mixing"}]}


def _facts(**changes: object) -> CallFacts:
    base = {"sectors": frozenset({"music"}), "skills": frozenset({MIXING}),
            "occupation": SOUND_DESIGNER, "country": "SE", "remote": False}  # fmt: skip
    return CallFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_every_key_of_a_filter_must_match() -> None:
    facts = _facts()
    assert matches({}, facts)
    assert matches({"sector": "Music", "country": "se", "skill": MIXING}, facts)
    assert matches({"occupation": SOUND_DESIGNER, "remote": False}, facts)
    assert not matches({"sector": "film"}, facts)
    assert not matches({"sector": "music", "country": "BE"}, facts)
    assert not matches({"skill": f"{MIXING}-other"}, facts)
    assert not matches({"remote": True}, facts)
    assert matches({"remote": True}, _facts(remote=True, country=None))
    assert not matches({"country": "SE"}, _facts(country=None))


def test_call_facts_read_terms_tags_and_project_sectors() -> None:
    obj = ContentObject(
        tags=[{"type": "Hashtag", "name": "#SoundDesign"}, "junk",
              {"type": "DefinedTerm", "id": MIXING, "name": "mixing"}],
        extra={"call": {"occupation": SOUND_DESIGNER, "country": "be", "remote": True,
                        "skills": [{"uri": f"{MIXING}-2", "name": "x"}]}},
    )  # fmt: skip
    facts = call_facts(obj, ["opera", "Music"])
    assert facts.sectors == {"sounddesign", "opera", "music"}
    assert facts.skills == {MIXING, f"{MIXING}-2"}
    assert (facts.occupation, facts.country, facts.remote) == (SOUND_DESIGNER, "BE", True)
    flat = call_facts(ContentObject(tags=[], extra={"place": {"country": "FR"}, "remote": 1}))
    assert (flat.country, flat.remote, flat.sectors) == ("FR", False, frozenset())


async def _announces(db) -> list[Activity]:
    async with db.session() as s:
        query = select(Activity).where(Activity.activity_type == "Announce")
        return list((await s.scalars(query.order_by(Activity.id))).all())


async def test_a_new_call_is_announced_by_matching_feeds_to_their_followers_once(
    db, settings, worker, fans
) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna", sectors=["opera", "music"])
    music, _ = await feed(db, settings, "calls-music", sector="music", country="SE")
    film, _ = await feed(db, settings, "calls-film", sector="film")
    belgium, _ = await feed(db, settings, "calls-be", country="BE")
    fans.public_pem = music.public_key_pem
    await follower(db, music, "https://fans.example/users/kim", fans.url("fans.example"))
    await follower(db, film, "https://film.example/users/lou", fans.url("film.example"))
    await follower(db, belgium, "https://be.example/users/jan", fans.url("be.example"))
    opening = await call(db, opera, hashtags=(), country="SE", city="Malmö", **SOUND)

    first = await worker.run_once(NOW)
    second = await worker.run_once(NOW + timedelta(seconds=1))

    assert first.jobs == 1 and second.delivered == 1
    [announce] = await _announces(db)
    assert announce.actor_id == music.id and announce.object_uri == opening.uri
    doc = announce.document
    assert (doc["type"], doc["actor"], doc["object"]) == ("Announce", music.uri, opening.uri)
    assert doc["to"] == [PUBLIC] and doc["cc"] == [opera.uri, f"{music.uri}/followers"]
    assert announce.public is True
    [seen] = fans.received
    assert seen.host == "fans.example" and seen.scheme == "cavage"
    assert seen.key_id == f"{music.uri}#main-key"  # signed by the feed itself
    assert orjson.loads(seen.body) == doc
    async with db.session() as s:
        rows = (await s.scalars(select(Delivery))).all()
    assert [(r.inbox_uri, r.state) for r in rows] == [(fans.url("fans.example"), "done")]

    async with db.session() as s, s.begin():  # the call's job again (an edit, a retry)
        assert await announce_call_to_feeds(s, worker.uris, opening.id, NOW) == 0
    assert len(await _announces(db)) == 1


async def test_a_remote_call_is_announced_with_its_author_in_cc(db, settings) -> None:
    kvs = "https://be.smart.example/projects/kvs"
    project = await remote_actor(db, kvs, f"{kvs}/inbox", "Group")
    belgium, _ = await feed(db, settings, "calls-be", country="BE", remote=False)
    music, _ = await feed(db, settings, "calls-music", sector="music")
    remote = await call(db, project, local=False, country="BE", city="Gent", enqueue=False)
    async with db.session() as s, s.begin():
        assert await announce_call_to_feeds(s, node_uris(settings), remote.id, NOW) == 2
    announces = await _announces(db)
    assert {a.actor_id for a in announces} == {belgium.id, music.id}
    assert all(a.document["cc"][0] == project.uri for a in announces)
    assert all(a.object_uri == remote.uri for a in announces)


@pytest.mark.parametrize(
    ("state", "visibility", "closes_in"),
    [("closed", "public", 5), ("filled", "public", 5), ("open", "unlisted", 5),
     ("open", "followers", 5), ("open", "public", -1)],
)  # fmt: skip
async def test_a_closed_non_public_or_expired_call_is_not_announced(
    db, settings, worker, state, visibility, closes_in
) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna", sectors=["music"])
    await feed(db, settings, "calls-all")
    hidden = await call(db, opera, state=state, visibility=visibility)
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, hidden.id)
        assert row is not None
        row.closes_at = NOW + timedelta(days=closes_in)
    assert (await worker.run_once(NOW)).jobs == 1
    assert await _announces(db) == []


async def test_a_deleted_feed_announces_nothing(db, settings, worker) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna", sectors=["music"])
    await feed(db, settings, "calls-music", sector="music")
    async with db.session() as s, s.begin():
        await delete_feed(s, "calls-music", NOW)
    await call(db, opera)
    await worker.run_once(NOW)
    assert await _announces(db) == []


async def test_a_call_received_from_another_node_is_announced_by_matching_feeds(
    db, settings
) -> None:
    kvs = "https://be.smart.example/projects/kvs"
    world = Fediverse()
    world.actor(kvs, type="Group", followers=f"{kvs}/followers")
    anna = await make_member(db, settings, "anna")
    gent, _ = await feed(db, settings, "calls-be", country="BE", occupation=SOUND_DESIGNER)
    await feed(db, settings, "calls-se", country="SE")
    kim = await follower(db, gent, "https://fans.example/users/kim", "https://fans.example/inbox")
    project = await remote_actor(db, kvs, f"{kvs}/inbox", "Group")  # as the resolver keeps it
    async with db.session() as s, s.begin():  # anna follows the project: its calls concern us
        s.add(Follow(uri=f"{anna.uri}#follows/kvs", follower_id=anna.id,
                     followed_id=project.id, state="accepted", created_at=NOW))  # fmt: skip
    create = _remote_call_create(kvs)
    outcome = await receive(db, settings, world, create)
    assert outcome.status == "processed", outcome.reason
    async with Fetcher(settings, transport=httpx.MockTransport(world.handle)) as fetcher:
        work = Worker(settings, db, fetcher, signer=None, deliverer=None)
        assert (await work.run_once(NOW)).jobs == 1
        await work.run_once(NOW + timedelta(seconds=1))
    [announce] = await _announces(db)
    assert announce.actor_id == gent.id
    assert announce.document["object"] == create["object"]["id"]
    assert announce.document["cc"] == [kvs, f"{gent.uri}/followers"]
    async with db.session() as s:
        inboxes = set((await s.scalars(select(Delivery.inbox_uri))).all())
    assert inboxes == {kim.inbox_uri, "https://be.smart.example/inbox"}  # the author hears of it


def _remote_call_create(project: str) -> dict[str, object]:
    call_uri = "https://be.smart.example/calls/4f2a"
    note = {
        "id": call_uri, "type": "Note", "attributedTo": project,
        "name": "Sound designer in Gent",
        "content": "<p><strong>Sound designer in Gent</strong></p><p>For a new play.</p>",
        "to": [PUBLIC], "cc": [f"{project}/followers"], "published": "2026-11-26T11:00:00Z",
        "url": call_uri, "purpose": "request", "unitBased": False,
        "publishes": {"id": f"{call_uri}#primary", "type": "Intent", "action": "work",
                      "resourceConformsTo": SOUND_DESIGNER,
                      "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}},
        "location": {"type": "Place", "name": "Gent, BE",
                     "address": {"type": "PostalAddress", "addressCountry": "BE",
                                 "addressLocality": "Gent"}},
        "remote": False, "positions": 1, "state": "open", "endTime": "2026-12-20T12:00:00Z",
        "tag": [{"type": "Hashtag", "name": "#Theatre",
                 "href": "https://be.smart.example/tags/Theatre"}],
    }  # fmt: skip
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{call_uri}#create", "type": "Create", "actor": project, "object": note,
        "to": note["to"], "cc": note["cc"], "published": note["published"],
    }  # fmt: skip
