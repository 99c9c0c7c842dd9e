"""Topic feeds on the wire: the Service actor and its collections, WebFinger, Follow → Accept,
RSS and Atom (parsed back, hostile titles stay text), JobPosting JSON-LD on a call's page, and
the admin API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import httpx
from sqlalchemy import select

from smartnode.actors.node import get_node_actor
from smartnode.actors.records import node_uris
from smartnode.actors.to_ap import iso
from smartnode.content.call_boosts import undo_call_boosts
from smartnode.federation.fetch import Fetcher
from smartnode.matching.feeds import announce_call_to_feeds
from smartnode.storage.models import Activity, Actor, ContentObject, Delivery, Follow
from smartnode.storage.models_work import TopicFeed
from smartnode.worker import Worker
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, make_project
from tests.content import member_headers
from tests.inbox import Fediverse, follow_activity, receive
from tests.matching.feeds_arrange import MIXING, NOW, SOUND_DESIGNER, call, feed, follower

AS_JSON = "application/activity+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://se.smart.test"
ALICE = "https://mastodon.example/users/alice"
HOSTILE = "</script><script>alert(1)</script> & <b>bold</b>"


async def _opera(db, settings, sectors: tuple[str, ...] = ("music",)) -> Actor:
    await make_member(db, settings, "anna")
    return await make_project(db, settings, "Malmö Opera", "anna", sectors=list(sectors))


async def test_feed_actor_is_a_service_with_inbox_outbox_followers_and_key(
    client, db, settings
) -> None:
    actor, _ = await feed(db, settings, "calls-music", sector="music", country="SE")
    response = await client.get("/feeds/calls-music", headers={"Accept": AS_JSON})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AS_JSON)
    doc = response.json()
    assert (doc["id"], doc["type"], doc["preferredUsername"]) == (
        f"{BASE}/feeds/calls-music", "Service", "calls-music",
    )  # fmt: skip
    for name in ("inbox", "outbox", "followers"):
        assert doc[name] == f"{BASE}/feeds/calls-music/{name}"
    assert doc["publicKey"] == {
        "id": f"{BASE}/feeds/calls-music#main-key", "owner": doc["id"],
        "publicKeyPem": actor.public_key_pem,
    }  # fmt: skip
    assert doc["discoverable"] is True and doc["manuallyApprovesFollowers"] is False
    assert "in music" in doc["summary"] and "SE" in doc["summary"]
    fields = {f["name"]: f["value"] for f in doc["attachment"]}
    assert fields == {"Sector": "music", "Country": "SE"}
    page = await client.get("/feeds/calls-music", headers={"Accept": BROWSER})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert f'href="{BASE}/feeds/calls-music.rss"' in page.text
    assert (await client.get("/feeds/nobody", headers={"Accept": AS_JSON})).status_code == 404


async def test_webfinger_finds_a_feed_by_handle_and_by_id(client, db, settings) -> None:
    await feed(db, settings, "calls-music", sector="music")
    for resource in ("acct:calls-music@se.smart.test", f"{BASE}/feeds/calls-music"):
        response = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200
        jrd = response.json()
        assert jrd["subject"] == "acct:calls-music@se.smart.test"
        [self_link] = [link for link in jrd["links"] if link["rel"] == "self"]
        assert self_link == {"rel": "self", "type": AS_JSON, "href": f"{BASE}/feeds/calls-music"}


async def test_follow_of_a_feed_is_accepted_and_listed_in_its_followers(
    client, db, settings
) -> None:
    music, _ = await feed(db, settings, "calls-music", sector="music")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    follow = follow_activity(ALICE, music.uri, "https://mastodon.example/f/1")
    assert (await receive(db, settings, fediverse, follow)).status == "processed"
    async with db.session() as s:
        row = await s.scalar(select(Follow))
        accept = await s.scalar(select(Activity).where(Activity.activity_type == "Accept"))
    assert row is not None and row.followed_id == music.id and row.state == "accepted"
    assert accept is not None and accept.actor_id == music.id
    assert accept.document["object"]["id"] == "https://mastodon.example/f/1"
    followers = await client.get(
        "/feeds/calls-music/followers?page=true", headers={"Accept": AS_JSON}
    )
    assert followers.status_code == 200 and followers.json()["orderedItems"] == [ALICE]
    unsigned = await client.post("/feeds/calls-music/inbox", content=json.dumps(follow))
    assert unsigned.status_code == 401  # the feed's own inbox exists and checks signatures


async def test_feed_outbox_lists_its_announces(client, db, settings) -> None:
    opera = await _opera(db, settings)
    await feed(db, settings, "calls-music", sector="music")
    opening = await call(db, opera)
    async with db.session() as s, s.begin():
        assert await announce_call_to_feeds(s, node_uris(settings), opening.id, NOW) == 1
    root = (await client.get("/feeds/calls-music/outbox", headers={"Accept": AS_JSON})).json()
    assert root["totalItems"] == 1
    page = await client.get(root["first"], headers={"Accept": AS_JSON})
    async with db.session() as s:
        announce = await s.scalar(select(Activity).where(Activity.activity_type == "Announce"))
    assert announce is not None and page.json()["orderedItems"] == [announce.uri]

    async with db.session() as s, s.begin():  # the call closes: its boost is undone
        closed = await s.get(ContentObject, opening.id)
        assert closed is not None
        await undo_call_boosts(s, node_uris(settings), closed, NOW)
    root = (await client.get("/feeds/calls-music/outbox", headers={"Accept": AS_JSON})).json()
    assert root["totalItems"] == 0


async def test_rss_and_atom_list_matching_calls_and_keep_hostile_text_as_text(
    client, db, settings
) -> None:
    opera = await _opera(db, settings, ("theatre",))  # music comes from the calls' hashtags
    await feed(db, settings, "calls-music", sector="music")
    hostile = await call(db, opera, title=HOSTILE, hashtags=("Music", "Opera"))
    await call(db, opera, title="Film editor", hashtags=("Film",))  # no music: not listed
    await call(db, opera, title="Closed one", state="closed")

    response = await client.get("/feeds/calls-music.rss")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    assert b"<script>" not in response.content and b"<b>" not in response.content
    channel = ET.fromstring(response.content).find("channel")
    assert channel is not None and channel.findtext("link") == f"{BASE}/feeds/calls-music"
    [item] = channel.findall("item")
    assert item.findtext("title") == HOSTILE
    assert item.findtext("link") == hostile.uri and item.findtext("guid") == hostile.uri
    assert "Mix the première." in (item.findtext("description") or "")
    assert item.findtext("pubDate") == "Thu, 26 Nov 2026 12:00:00 GMT"
    assert [c.text for c in item.findall("category")] == ["Music", "Opera"]

    response = await client.get("/feeds/calls-music.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert b"<script>" not in response.content
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == HOSTILE
    assert entry.findtext(f"{ATOM}id") == hostile.uri
    assert entry.findtext(f"{ATOM}published") == "2026-11-26T12:00:00Z"
    assert (await client.get("/feeds/nobody.rss")).status_code == 404


def _json_ld(html: str) -> dict:
    [found] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "<" not in found and ">" not in found and "&" not in found
    return json.loads(found)


async def test_call_page_carries_job_posting_json_ld_escaped(client, db, settings) -> None:
    opera = await _opera(db, settings)
    paid = {"amount": "250", "currency": "SEK", "unit": "day"}
    skills = [{"uri": MIXING, "name": "mixing"}]
    opening = await call(
        db, opera, title=HOSTILE, country="SE", city="Malmö", remote=True, paid=paid,
        occupation=SOUND_DESIGNER, skills=skills, positions=2,
    )  # fmt: skip
    response = await client.get(opening.uri, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    posting = _json_ld(response.text)
    assert posting["@context"] == "https://schema.org" and posting["@type"] == "JobPosting"
    assert posting["title"] == HOSTILE
    assert posting["datePosted"] == "2026-11-26T12:00:00Z"
    assert posting["validThrough"] == "2026-12-16T12:00:00Z"
    assert posting["hiringOrganization"]["name"] == "Malmö Opera"
    assert posting["hiringOrganization"]["sameAs"] == opera.uri
    assert posting["jobLocation"]["address"] == {
        "@type": "PostalAddress", "addressCountry": "SE", "addressLocality": "Malmö",
    }  # fmt: skip
    assert posting["jobLocationType"] == "TELECOMMUTE"
    assert posting["occupationalCategory"] == SOUND_DESIGNER
    assert posting["skills"][0]["url"] == MIXING
    assert posting["employmentType"] == "CONTRACTOR" and posting["totalJobOpenings"] == 2
    assert posting["baseSalary"]["currency"] == "SEK"
    assert posting["baseSalary"]["value"] == {
        "@type": "QuantitativeValue", "value": 250.0, "unitText": "DAY",
    }  # fmt: skip
    closed = await call(db, opera, title="Closed", state="closed")
    page = await client.get(closed.uri, headers={"Accept": BROWSER})
    assert page.status_code == 200 and "application/ld+json" not in page.text
    assert "This call is closed." in page.text


async def test_admin_api_creates_lists_and_deletes_feeds(client, db, settings) -> None:
    admin = await admin_headers(db)
    body = {"slug": "calls-be", "name": "Calls in Belgium", "country": "be", "remote": False}
    assert (await client.post("/api/smart/v1/feeds", json=body)).status_code == 401
    created = await client.post("/api/smart/v1/feeds", json=body, headers=admin)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["filter"] == {"country": "BE", "remote": False}
    assert (out["handle"], out["rss"]) == ("@calls-be@se.smart.test", f"{BASE}/feeds/calls-be.rss")
    async with db.session() as s:
        row = await s.scalar(select(TopicFeed))
        actor = await s.scalar(select(Actor).where(Actor.username == "calls-be"))
    assert row is not None and actor is not None and row.actor_id == actor.id
    assert (actor.kind, actor.ap_type) == ("feed", "Service")
    again = await client.post("/api/smart/v1/feeds", json=body, headers=admin)
    assert again.status_code == 409
    bad = {"slug": "calls.rss", "name": "x"}
    assert (await client.post("/api/smart/v1/feeds", json=bad, headers=admin)).status_code == 422
    bad = {"slug": "x-skill", "name": "x", "skill": "javascript:alert(1)"}
    assert (await client.post("/api/smart/v1/feeds", json=bad, headers=admin)).status_code == 422
    listed = (await client.get("/api/smart/v1/feeds")).json()["items"]
    assert [f["slug"] for f in listed] == ["calls-be"]
    assert (await client.delete("/api/smart/v1/feeds/calls-be", headers=admin)).status_code == 204
    gone = await client.get("/feeds/calls-be", headers={"Accept": AS_JSON})
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert (await client.get("/api/smart/v1/feeds")).json()["items"] == []
    async with db.session() as s:
        delete = await s.scalar(select(Activity).where(Activity.activity_type == "Delete"))
    assert delete is not None and delete.document["object"] == f"{BASE}/feeds/calls-be"


async def test_a_call_published_through_the_api_reaches_matching_feeds(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna", sectors=["dance"])
    sweden, _ = await feed(db, settings, "calls-se", country="SE")
    dance, _ = await feed(db, settings, "calls-dance", sector="dance", remote=False)
    await feed(db, settings, "calls-be", country="BE")
    await follower(db, sweden, ALICE, "https://mastodon.example/users/alice/inbox")
    closes = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    body = {"title": "Dancers for <Carmen>", "description": "Two dancers. #Opera",
            "place": {"country": "SE", "city": "Malmö"}, "closes_at": closes.isoformat(),
            "paid": {"amount": "3000", "currency": "EUR", "unit": "month"}}  # fmt: skip
    published = await client.post(
        f"/api/smart/v1/actors/{opera.username}/calls",
        json=body,
        headers=await member_headers(db, anna),
    )
    assert published.status_code == 201, published.text
    uri = published.json()["uri"]
    async with Fetcher(settings, transport=httpx.MockTransport(Fediverse().handle)) as fetcher:
        work = Worker(settings, db, fetcher, signer=None, deliverer=None)
        moment = datetime.now(UTC)
        await work.run_once(moment)
        await work.run_once(moment + timedelta(seconds=1))
    async with db.session() as s:
        announces = (
            await s.scalars(select(Activity).where(Activity.activity_type == "Announce"))
        ).all()
        inboxes = (
            await s.scalars(
                select(Delivery.inbox_uri)
                .join(Activity, Activity.id == Delivery.activity_id)
                .where(Activity.actor_id == sweden.id)
            )
        ).all()
    node = await get_node_actor_of(db)
    by_feeds = [a for a in announces if a.actor_id != node.id]  # the node's own goes to peers
    assert sorted(a.actor_id for a in by_feeds) == sorted([sweden.id, dance.id])
    assert all(a.object_uri == uri and a.document["cc"][0] == opera.uri for a in by_feeds)
    assert list(inboxes) == ["https://mastodon.example/users/alice/inbox"]
    rss = ET.fromstring((await client.get("/feeds/calls-se.rss")).content)
    assert [i.findtext("title") for i in rss.iter("item")] == ["Dancers for <Carmen>"]
    page = await client.get(uri, headers={"Accept": BROWSER})
    posting = _json_ld(page.text)
    assert posting["title"] == "Dancers for <Carmen>" and posting["validThrough"] == iso(closes)
    assert posting["hiringOrganization"]["name"] == "Malmö Opera"
    assert posting["baseSalary"]["value"]["unitText"] == "MONTH"


async def get_node_actor_of(db) -> Actor:
    async with db.session() as s:
        node = await get_node_actor(s)
    assert node is not None
    return node


async def test_admin_edits_a_feed_its_followers_see_update_and_its_boosts_follow_the_filter(
    client, db, settings
) -> None:
    admin = await admin_headers(db)
    opera = await _opera(db, settings)
    sweden, _ = await feed(db, settings, "calls-se", country="SE")
    await follower(db, sweden, ALICE, f"{ALICE}/inbox")
    in_sweden = await call(db, opera, country="SE")
    in_belgium = await call(db, opera, country="BE", title="Sound designer in Brussels")
    async with db.session() as s, s.begin():
        for obj in (in_sweden, in_belgium):
            await announce_call_to_feeds(s, node_uris(settings), obj.id, datetime.now(UTC))
    path = "/api/smart/v1/feeds/calls-se"
    assert (await client.patch(path, json={"name": "x"})).status_code == 401
    bad = await client.patch(path, json={"name": None}, headers=admin)
    assert bad.status_code == 422
    assert (await client.patch(path, json={"slug": "other"}, headers=admin)).status_code == 422

    renamed = await client.patch(path, json={"name": "Calls in Sweden", "summary": "Hej!"},
                                 headers=admin)  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["summary"]) == ("Calls in Sweden", "Hej!")
    assert renamed.json()["filter"] == {"country": "SE"}
    doc = (await client.get("/feeds/calls-se", headers={"Accept": AS_JSON})).json()
    assert doc["name"] == "Calls in Sweden" and "<p>Hej!</p>" in doc["summary"]

    moved = await client.patch(path, json={"country": "be"}, headers=admin)
    assert moved.status_code == 200 and moved.json()["filter"] == {"country": "BE"}
    assert moved.json()["summary"] == "Hej!"  # kept across a filter change
    async with db.session() as s:
        sent = (await s.scalars(select(Activity).where(Activity.actor_id == sweden.id)
                                .order_by(Activity.id))).all()  # fmt: skip
    kinds = [(a.activity_type, a.object_uri) for a in sent]
    assert kinds == [
        ("Announce", in_sweden.uri),
        ("Update", sweden.uri),
        ("Update", sweden.uri),
        ("Undo", sent[0].uri),
        ("Announce", in_belgium.uri),
    ]
    cleared = await client.patch(path, json={"country": None}, headers=admin)
    assert cleared.json()["filter"] == {}
    assert (
        await client.patch("/api/smart/v1/feeds/nope", json={}, headers=admin)
    ).status_code == 404
