"""The applications queue of a call: its coordinators only; shortlist, accept or refuse with a
message, which reaches the applicant here (a notification) or on their server (federated)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from smartnode.storage.models import Actor
from smartnode.storage.models_work import Notification
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import activity, fan_out, node_client, remote_note
from tests.inbox import Fediverse, receive
from tests.inbox.applications import applications, make_call, notifications, offer, sent

LEA = "https://be.smart.example/members/lea"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(
        LEA, name="Léa", summary="<p>Drummer from Liège</p>",
        attachment=[
            {"type": "PropertyValue", "name": "Languages", "value": "French, Dutch"},
            {"type": "PropertyValue", "name": "Portfolio",
             "value": '<a href="https://lea.example">lea.example</a><script>x()</script>'},
            {"type": "PropertyValue", "name": "", "value": "nameless"},
        ],
        tag=[{"type": "DefinedTerm", "name": "play drums",
              "url": "http://data.europa.eu/esco/skill/drums"},
             {"type": "DefinedTerm", "name": "QLab", "termCode": "qlab"},
             {"type": "DefinedTerm", "url": "https://no.name.example"},
             {"type": "Hashtag", "name": "#jazz", "href": "https://be.smart.example/tags/jazz"}],
    )  # fmt: skip
    return fediverse


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


async def arrange(db, settings, world):
    await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo", skills=["drums"], languages=["sv"])
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer")
    body = offer(LEA, call.uri, [jazz.uri])
    assert (await receive(db, settings, world, body)).status == "processed"
    return bo, jazz, call, body


async def _apply_as_bo(browser, settings, call) -> None:
    await sign_in(browser, "bo")
    page = await browser.get(
        call.uri.removeprefix(settings.base_url), headers={"Accept": "text/html"}
    )
    fields = hidden_fields(page.text)
    response = await browser.post("/apply", data={**fields, "motivation": "I keep time"})
    assert response.status_code == 303
    await browser.post("/signout", data=hidden_fields((await browser.get("/account")).text))
    browser.cookies.clear()


async def test_only_coordinators_see_the_queue(browser, db, settings, world) -> None:
    _, _, call, _ = await arrange(db, settings, world)
    path = call.uri.removeprefix(settings.base_url) + "/applications"
    assert (await browser.get(path)).status_code == 303  # a visitor signs in first
    await sign_in(browser, "bo")
    assert (await browser.get(path)).status_code == 403
    assert (await browser.get("/calls/abc123/applications")).status_code == 404


async def test_a_coordinator_decides_and_each_applicant_is_told(
    browser, db, settings, world
) -> None:
    bo, _jazz, call, body = await arrange(db, settings, world)
    await _apply_as_bo(browser, settings, call)
    await sign_in(browser, "anna")
    path = call.uri.removeprefix(settings.base_url) + "/applications"
    page = await browser.get(path)
    assert page.status_code == 200
    assert "Léa" in page.text and "Bo" in page.text and "I keep time" in page.text
    assert "drums" in page.text and "Swedish" in page.text
    assert "<p>Drummer from Liège</p>" in page.text
    assert "On their profile" in page.text and "<dd>French, Dutch</dd>" in page.text
    assert 'href="https://lea.example"' in page.text and "<script>" not in page.text
    assert "play drums" in page.text and "nameless" not in page.text
    assert "play drums, QLab" in page.text and "no.name.example" not in page.text
    async with db.session() as s:
        lea = await s.scalar(select(Actor).where(Actor.uri == LEA))
    assert lea is not None and len(lea.remote_profile["fields"]) == 2
    assert lea.remote_profile["skills"] == [
        {"name": "play drums", "uri": "http://data.europa.eu/esco/skill/drums"},
        {"name": "QLab", "uri": None},
    ]
    lea_app, bo_app = sorted(await applications(db), key=lambda a: a.applicant_id != bo.id)[::-1]
    csrf = hidden_fields(page.text)["csrf"]
    said = "Another drummer <b>was</b> chosen"
    refused = await browser.post(f"{path}/{lea_app.id}", data={
        "csrf": csrf, "decision": "reject", "message": said})  # fmt: skip
    assert refused.status_code == 303 and refused.headers["location"].endswith("done=reject")
    accepted = await browser.post(f"{path}/{bo_app.id}", data={
        "csrf": csrf, "decision": "accept", "role": "guest", "message": "Welcome!"})  # fmt: skip
    assert accepted.status_code == 303
    states = {a.applicant_id: (a.state, a.role) for a in await applications(db)}
    assert states[bo.id] == ("accepted", "guest") and states[lea_app.applicant_id][0] == "rejected"
    [reject] = await sent(db, "Reject")
    assert reject.document["to"] == [LEA] and reject.document["object"] == body["id"]
    assert "&lt;b&gt;was&lt;/b&gt;" in reject.document["content"]
    assert await fan_out(db, settings, reject) == ["https://be.smart.example/inbox"]
    decided = [n for n in await notifications(db) if n.kind == "decision"]
    assert [(n.actor_id, n.data.get("message")) for n in decided] == [(bo.id, "<p>Welcome!</p>")]
    late = await browser.post(f"{path}/{bo_app.id}", data={"csrf": csrf, "decision": "reject"})
    assert late.headers["location"].endswith("done=late")
    assert isinstance(decided[0], Notification)


async def test_the_message_reaches_someone_who_applied_by_a_direct_reply(
    browser, db, settings, world
) -> None:
    await member_with_password(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer")
    alice = "https://mastodon.example/users/alice"
    world.actor(alice, name="Alice")
    note = remote_note("https://mastodon.example/users/alice/statuses/1", alice,
                       content="<p>I would love to drum for you</p>", to=[jazz.uri],
                       inReplyTo=call.uri,
                       tag=[{"type": "Mention", "href": jazz.uri}])  # fmt: skip
    assert (
        await receive(db, settings, world, activity("Create", alice, note))
    ).status == "processed"
    [app] = await applications(db)
    assert app.via == "reply"
    await sign_in(browser, "anna")
    path = call.uri.removeprefix(settings.base_url) + "/applications"
    csrf = hidden_fields((await browser.get(path)).text)["csrf"]
    decided = await browser.post(f"{path}/{app.id}", data={
        "csrf": csrf, "decision": "accept", "message": "Rehearsals <start> Monday"})  # fmt: skip
    assert decided.status_code == 303
    _ack, told = await sent(db, "Create")
    dm = told.document["object"]
    assert dm["to"] == [alice] and "Good news" in dm["content"]
    assert "Rehearsals &lt;start&gt; Monday" in dm["content"]
    assert await fan_out(db, settings, told) == ["https://mastodon.example/inbox"]


async def test_deciding_needs_the_csrf_token_and_a_coordinator(
    browser, db, settings, world
) -> None:
    _, _, call, _ = await arrange(db, settings, world)
    [app] = await applications(db)
    path = call.uri.removeprefix(settings.base_url) + "/applications"
    await sign_in(browser, "anna")
    bare = await browser.post(f"{path}/{app.id}", data={"decision": "accept"})
    assert bare.status_code == 403
    browser.cookies.clear()
    await sign_in(browser, "bo")
    page = await browser.get("/account")
    stranger = await browser.post(f"{path}/{app.id}", data={
        "csrf": hidden_fields(page.text)["csrf"], "decision": "accept"})  # fmt: skip
    assert stranger.status_code in (403, 404)
    assert [a.state for a in await applications(db)] == ["pending"]
