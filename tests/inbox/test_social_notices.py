"""Follows, mentions and replies notify the member concerned (or a project's coordinators):
from other servers through the signed inbox and the worker, and from this node through the
follow and post use cases; the notifications page words them, with a link, in their language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.app import create_app
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.storage.models_work import Notification
from smartnode.worker import Worker
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.api.threads import post
from tests.conftest import make_project
from tests.content import activity, make_post, member_headers, remote_note
from tests.inbox import Fediverse, follow_activity
from tests.inbox.test_receive import post as signed_post

ALICE = "https://mastodon.example/users/alice"
ALICE_PAGE = "https://mastodon.example/@alice"
PRIVATE, PUBLIC_PEM = generate_rsa_keypair()
HTML = {"Accept": "text/html"}
PAGE = "/account/notifications"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, pem=PUBLIC_PEM, name="Alice Martin", url=ALICE_PAGE)
    return fediverse


@pytest.fixture
async def node(settings, db, world: Fediverse) -> AsyncIterator[FastAPI]:
    application = create_app(settings, outbound_transport=httpx.MockTransport(world.handle))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(node: FastAPI, settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=node)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as c:
        yield c


async def deliver(client, db, settings, world, path: str, body: dict) -> None:
    """Act: alice POSTs `body` signed to `path`; the worker processes it."""
    answer = await signed_post(client, path, body, private_pem=PRIVATE, key_id=f"{ALICE}#main-key")
    assert answer.status_code == 202, answer.text
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        signer = node_signer(await ensure_node_actor(s, settings, now), settings)
    async with world.fetcher(settings) as fetcher:
        worker = Worker(settings, db, fetcher, signer=signer, deliverer=None)
        assert (await worker.run_once(now)).inbox == 1


async def notices(db, member_id: int | None = None) -> list[Notification]:
    async with db.session() as s:
        query = select(Notification).order_by(Notification.id)
        if member_id is not None:
            query = query.where(Notification.actor_id == member_id)
        return list((await s.scalars(query)).all())


async def page_of(client, name: str, language: str) -> str:
    await sign_in(client, name)
    page = await client.get(PAGE, headers={"Accept-Language": language})
    assert page.status_code == 200
    return page.text


async def test_a_follow_from_mastodon_notifies_the_member_in_their_language(
    client, db, settings, world
) -> None:
    anna = await member_with_password(db, settings, "anna")
    body = follow_activity(ALICE, anna.uri, "https://mastodon.example/follows/1")
    await deliver(client, db, settings, world, "/members/anna/inbox", body)

    [row] = await notices(db)
    assert (row.actor_id, row.kind) == (anna.id, "follow")
    assert row.object_uri == f"{anna.uri}/followers#{ALICE}"
    assert row.data == {"actor": ALICE, "profile": ALICE_PAGE, "state": "accepted"}
    english = await page_of(client, "anna", "en")
    assert "@alice@mastodon.example follows you." in english
    assert f'<a href="{ALICE_PAGE}">See their profile</a>' in english
    french = await client.get(PAGE, headers={"Accept-Language": "fr"})
    assert "@alice@mastodon.example vous suit." in french.text
    assert f'<a href="{ALICE_PAGE}">Voir le profil</a>' in french.text
    home = await client.get("/", headers={"Accept-Language": "fr"})
    assert "@alice@mastodon.example vous suit." in home.text


async def test_a_follow_request_for_a_project_notifies_its_coordinators(
    client, db, settings, world
) -> None:
    anna = await member_with_password(db, settings, "anna")
    ben = await member_with_password(db, settings, "ben")
    jazz = await make_project(db, settings, "Jazz", "anna", manually_approves_followers=True)
    body = follow_activity(ALICE, jazz.uri, "https://mastodon.example/follows/2")
    await deliver(client, db, settings, world, "/projects/jazz/inbox", body)

    [row] = await notices(db)
    assert (row.actor_id, row.kind, row.data["state"]) == (anna.id, "follow", "pending")
    assert row.data["project"] == jazz.uri and await notices(db, ben.id) == []
    swedish = await page_of(client, "anna", "sv")
    assert "@alice@mastodon.example ber om att få följa @jazz@se.smart.test." in swedish


async def test_a_note_from_mastodon_notifies_the_replied_and_the_mentioned(
    client, db, settings, world
) -> None:
    anna = await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo")
    cleo = await member_with_password(db, settings, "cleo")
    parent = await make_post(db, settings, anna, content="Who plays on Friday?")
    note = remote_note(
        "https://mastodon.example/users/alice/statuses/1", ALICE, inReplyTo=parent.uri,
        content="<p>I do, and @bo too</p>", url="https://mastodon.example/@alice/1",
        cc=[f"{ALICE}/followers", bo.uri, anna.uri],
        tag=[{"type": "Mention", "href": bo.uri, "name": "@bo@se.smart.test"},
             {"type": "Mention", "href": cleo.uri, "name": "@cleo@se.smart.test"}],
    )  # fmt: skip
    await deliver(client, db, settings, world, "/inbox", activity("Create", ALICE, note))

    rows = {(r.actor_id, r.kind): r for r in await notices(db)}
    assert set(rows) == {(anna.id, "reply"), (bo.id, "mention"), (cleo.id, "mention")}
    reply = rows[(anna.id, "reply")]
    assert reply.object_uri == note["id"]
    assert reply.data == {"actor": ALICE, "url": "https://mastodon.example/@alice/1",
                          "excerpt": "I do, and @bo too"}  # fmt: skip
    english = await page_of(client, "anna", "en")
    assert "@alice@mastodon.example replied to your post." in english
    assert '<a href="https://mastodon.example/@alice/1">See the post</a>' in english
    assert "I do, and @bo too" in english
    french = await client.get(PAGE, headers={"Accept-Language": "fr"})
    assert "@alice@mastodon.example a répondu à votre publication." in french.text
    assert "Voir la publication" in french.text
    assert "@alice@mastodon.example vous a mentionné·e dans une publication." in (
        await page_of(client, "bo", "fr")
    )


async def test_a_note_only_for_followers_tells_no_one_it_is_not_shown_to(
    client, db, settings, world
) -> None:
    await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo")
    note = remote_note(
        "https://mastodon.example/users/alice/statuses/2", ALICE,
        to=[f"{ALICE}/followers"], cc=[],
        tag=[{"type": "Mention", "href": bo.uri, "name": "@bo@se.smart.test"}],
    )  # fmt: skip
    await deliver(client, db, settings, world, "/members/bo/inbox", activity("Create", ALICE, note))
    assert await notices(db) == []


async def test_local_follow_reply_and_mention_notify_through_the_use_cases(
    client, db, settings
) -> None:
    anna = await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo")
    cleo = await member_with_password(db, settings, "cleo")
    await sign_in(client, "bo")
    profile = await client.get("/members/anna", headers=HTML)
    assert (await client.post("/follow", data=hidden_fields(profile.text))).status_code == 303
    root = await post(client, await member_headers(db, anna), "anna", content="Vem kommer?")
    reply = await post(client, await member_headers(db, bo), "bo", content="Jag, och @cleo",
                       in_reply_to=root["uri"], mentions=["@cleo@se.smart.test"])  # fmt: skip
    own = await post(client, await member_headers(db, anna), "anna", content="Tack!",
                     in_reply_to=reply["uri"], visibility="direct",
                     mentions=["@bo@se.smart.test"])  # fmt: skip

    mine = [(r.kind, r.object_uri) for r in await notices(db, anna.id)]
    assert mine == [("follow", f"{anna.uri}/followers#{bo.uri}"), ("reply", reply["uri"])]
    assert [(r.kind, r.object_uri) for r in await notices(db, cleo.id)] == [
        ("mention", reply["uri"])
    ]
    # bo is mentioned in anna's answer to his reply: told once, as a mention
    assert [(r.kind, r.object_uri) for r in await notices(db, bo.id)] == [("mention", own["uri"])]
    english = await page_of(client, "anna", "en")
    assert "@bo@se.smart.test follows you." in english
    assert f'<a href="{bo.uri}">See their profile</a>' in english
    assert "@bo@se.smart.test replied to your post." in english
    assert f'<a href="{reply["uri"]}">See the post</a>' in english
    german = await client.get(PAGE, headers={"Accept-Language": "de"})
    assert "@bo@se.smart.test folgt Ihnen." in german.text
    assert "@bo@se.smart.test hat auf Ihren Beitrag geantwortet." in german.text
