"""Remote interaction both ways: a visitor goes to their own server's subscribe page; our
/authorize_interaction resolves a remote call or actor for a signed-in member (remote servers
faked at the transport), and nothing sends anyone to another site it should not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from smartnode.federation.vocab import PUBLIC
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_member, make_project
from tests.content import node_client
from tests.inbox import AS, Fediverse
from tests.inbox.applications import make_call, sent

BAND = "https://fr.smart.example/projects/band"
REMOTE_CALL = "https://fr.smart.example/calls/c9"
SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(BAND, type="Group")
    fediverse.serve(REMOTE_CALL, {
        "@context": AS, "id": REMOTE_CALL, "type": "Note", "attributedTo": BAND,
        "content": "<p>Light designer</p>", "name": "Light designer", "purpose": "request",
        "publishes": {"type": "Intent", "action": "work"}, "to": [PUBLIC],
        "published": "2026-11-20T10:00:00Z",
    })  # fmt: skip
    return fediverse


def jrd(world: Fediverse, handle: str, template: str) -> None:
    host = handle.rpartition("@")[2]
    world.documents[f"webfinger {host} acct:{handle}"] = (200, {
        "subject": f"acct:{handle}", "links": [{"rel": SUBSCRIBE, "template": template}],
    }, "application/jrd+json")  # fmt: skip


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


async def test_a_visitor_is_sent_to_their_own_servers_subscribe_page(
    browser, db, settings, world
) -> None:
    await make_member(db, settings, "anna")
    call = await make_call(db, settings, await make_project(db, settings, "Jazz", "anna"))
    jrd(world, "zoe@mastodon.example", "https://mastodon.example/authorize_interaction?uri={uri}")
    asked = {"uri": call.uri, "handle": "@zoe@mastodon.example"}
    response = await browser.get("/interact", params=asked)
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"https://mastodon.example/authorize_interaction?uri={quote(call.uri, safe='')}"
    )


async def test_no_open_redirect_from_interact(browser, db, settings, world) -> None:
    await make_member(db, settings, "anna")
    call = await make_call(db, settings, await make_project(db, settings, "Jazz", "anna"))
    asked = {"uri": "https://evil.example/x", "handle": "@zoe@mastodon.example"}
    foreign = await browser.get("/interact", params=asked)
    assert foreign.status_code == 400
    jrd(world, "eve@bad.example", "javascript:alert(1)//{uri}")
    bad = await browser.get("/interact", params={"uri": call.uri, "handle": "eve@bad.example"})
    assert bad.status_code == 422 and "location" not in bad.headers
    malformed = await browser.get("/interact", params={"uri": call.uri, "handle": "nobody"})
    assert malformed.status_code == 422 and 'class="error-summary"' in malformed.text


async def test_authorize_interaction_asks_a_visitor_to_sign_in_here(browser) -> None:
    response = await browser.get("/authorize_interaction", params={"uri": REMOTE_CALL})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/signin?next=%2Fauthorize_interaction%3Furi%3D")
    signin = await browser.get("/signin", params={"next": "//evil.example/x"})
    assert hidden_fields(signin.text)["next"] == "/account"


async def test_a_remote_call_is_resolved_and_offered_to_apply(browser, db, settings, world) -> None:
    await member_with_password(db, settings, "bo")
    await sign_in(browser, "bo")
    response = await browser.get("/authorize_interaction", params={"uri": REMOTE_CALL})
    assert response.status_code == 303
    form = await browser.get(response.headers["location"])
    assert form.status_code == 200 and "Light designer" in form.text
    assert hidden_fields(form.text)["call"] == REMOTE_CALL
    assert REMOTE_CALL in world.fetched()


async def test_a_remote_actor_is_offered_to_follow(browser, db, settings, world) -> None:
    await member_with_password(db, settings, "bo")
    await sign_in(browser, "bo")
    page = await browser.get("/authorize_interaction", params={"uri": BAND})
    assert page.status_code == 200 and 'action="/authorize_interaction/follow"' in page.text
    response = await browser.post("/authorize_interaction/follow", data=hidden_fields(page.text))
    assert response.status_code == 303 and response.headers["location"].endswith("done=follow")
    [follow] = await sent(db, "Follow")
    assert follow.document["object"] == BAND
    bare = await browser.post("/authorize_interaction/follow", data={"target": BAND})
    assert bare.status_code == 403
    nowhere = await browser.get("/authorize_interaction", params={"uri": "javascript:alert(1)"})
    assert nowhere.status_code == 400
