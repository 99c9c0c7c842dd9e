"""A project's team in the browser: coordinators invite anyone on any node by handle, answer
join requests, change roles and remove people; members ask to join, leave and answer their
invitations. Asserted on the pages, the rows and the activities as the native API sends them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.storage.models import Activity
from smartnode.storage.models_work import TeamRequest
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import fan_out, node_client
from tests.inbox import AS, Fediverse, receive
from tests.inbox.test_team import team

BOB = "https://remote.example/users/bob"
BRASS = "https://be.smart.example/projects/brass"
HTML = {"Accept": "text/html"}


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(BOB, name="Bob Peeters")
    fediverse.actor(BRASS, type="Group", name="Brass")
    return fediverse


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def opera(db, settings):
    await member_with_password(db, settings, "anna")
    return await make_project(db, settings, "Opera", "anna", slug="opera")


async def sent(db, kind: str) -> list[Activity]:
    async with db.session() as s:
        rows = await s.scalars(select(Activity).where(Activity.activity_type == kind))
        return list(rows.all())


async def requests(db) -> list[TeamRequest]:
    async with db.session() as s:
        return list((await s.scalars(select(TeamRequest).order_by(TeamRequest.id))).all())


async def post_on_team(browser, path: str, **fields: Any) -> httpx.Response:
    page = await browser.get("/projects/opera/team")
    assert page.status_code == 200, page.text
    return await browser.post(path, data={"csrf": hidden_fields(page.text)["csrf"], **fields})


async def switch(browser, name: str) -> None:
    browser.cookies.clear()
    await sign_in(browser, name)


async def test_a_coordinator_invites_someone_on_another_server(
    browser, db, settings, opera
) -> None:
    await sign_in(browser, "anna")
    response = await post_on_team(browser, "/projects/opera/team/invite",
                                  handle="@bob@remote.example", role="guest")  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/projects/opera/team?done=invited"
    [invite] = await sent(db, "Invite")
    assert invite.document["target"] == BOB and invite.document["smartRole"] == "guest"
    assert await fan_out(db, settings, invite) == ["https://remote.example/inbox"]
    page = await browser.get("/projects/opera/team?done=invited")
    assert "The invitation was sent." in page.text and "@bob@remote.example" in page.text
    again = await post_on_team(browser, "/projects/opera/team/invite",
                               handle="@bob@remote.example")  # fmt: skip
    assert again.status_code == 409 and "invited already" in again.text
    assert len(await sent(db, "Invite")) == 1


async def test_an_unknown_handle_is_refused_next_to_its_field(browser, db, settings, opera) -> None:
    await sign_in(browser, "anna")
    response = await post_on_team(browser, "/projects/opera/team/invite",
                                  handle="@nobody@remote.example")  # fmt: skip
    assert response.status_code == 422 and 'id="f-handle-error"' in response.text
    assert 'value="@nobody@remote.example"' in response.text and await requests(db) == []


async def test_a_member_here_answers_the_invitation_on_their_page(
    browser, db, settings, opera
) -> None:
    bo = await member_with_password(db, settings, "bo")
    await sign_in(browser, "anna")
    response = await post_on_team(browser, "/projects/opera/team/invite",
                                  handle=f"@bo@{settings.domain}", role="member")  # fmt: skip
    assert response.status_code == 303 and await sent(db, "Invite") == []  # a notification here
    await switch(browser, "bo")
    listed = await browser.get("/team-invitations")
    [invitation] = await requests(db)
    assert f'action="/team-invitations/{invitation.id}"' in listed.text and "Opera" in listed.text
    project_page = await browser.get("/projects/opera", headers=HTML)
    assert f'action="/team-invitations/{invitation.id}"' in project_page.text
    answer = await browser.post(f"/team-invitations/{invitation.id}", data={
        "csrf": hidden_fields(listed.text)["csrf"], "decision": "accept"})  # fmt: skip
    assert answer.status_code == 303
    assert (await team(db, opera.uri))[bo.uri] == "member"
    [add] = await sent(db, "Add")
    assert add.document["object"] == bo.uri
    again = await browser.post(f"/team-invitations/{invitation.id}", data={
        "csrf": hidden_fields(listed.text)["csrf"], "decision": "accept"})  # fmt: skip
    assert again.status_code == 404


async def test_a_member_asks_to_join_and_a_coordinator_accepts(
    browser, db, settings, opera
) -> None:
    bo = await member_with_password(db, settings, "bo")
    await sign_in(browser, "bo")
    page = await browser.get("/projects/opera", headers=HTML)
    csrf = hidden_fields(page.text)["csrf"]
    asked = await browser.post("/projects/opera/join", data={"csrf": csrf})
    assert asked.status_code == 303 and "done=asked" in asked.headers["location"]
    page = await browser.get("/projects/opera?done=asked", headers=HTML)
    assert "You asked to join" in page.text and 'action="/projects/opera/join"' not in page.text
    twice = await browser.post("/projects/opera/join", data={"csrf": csrf})
    assert twice.status_code == 409
    await switch(browser, "anna")
    listing = await browser.get("/projects/opera/team")
    [join] = await requests(db)
    assert f'action="/projects/opera/team/requests/{join.id}"' in listing.text
    accepted = await post_on_team(browser, f"/projects/opera/team/requests/{join.id}",
                                  decision="accept")  # fmt: skip
    assert accepted.status_code == 303 and "done=accepted" in accepted.headers["location"]
    assert (await team(db, opera.uri))[bo.uri] == "member"
    [add] = await sent(db, "Add")
    assert add.document["object"] == bo.uri


async def test_a_remote_join_request_is_refused_and_the_joiner_told(
    browser, db, settings, world, opera
) -> None:
    join = {"@context": AS, "id": f"{BOB}#join/1", "type": "Join", "actor": BOB,
            "object": opera.uri}  # fmt: skip
    assert (await receive(db, settings, world, join)).status == "processed"
    await sign_in(browser, "anna")
    [row] = await requests(db)
    response = await post_on_team(browser, f"/projects/opera/team/requests/{row.id}",
                                  decision="reject")  # fmt: skip
    assert response.status_code == 303
    [reject] = await sent(db, "Reject")
    assert reject.document["to"] == [BOB] and BOB not in await team(db, opera.uri)


async def test_roles_change_and_people_are_removed(browser, db, settings, opera) -> None:
    bo = await member_with_password(db, settings, "bo")
    await sign_in(browser, "anna")
    await post_on_team(browser, "/projects/opera/team/invite", handle="bo")
    await switch(browser, "bo")
    listed = await browser.get("/team-invitations")
    [invitation] = await requests(db)
    await browser.post(f"/team-invitations/{invitation.id}", data={
        "csrf": hidden_fields(listed.text)["csrf"], "decision": "accept"})  # fmt: skip
    await switch(browser, "anna")
    promoted = await post_on_team(browser, "/projects/opera/team/role", actor=bo.uri,
                                  role="coordinator")  # fmt: skip
    assert promoted.status_code == 303 and (await team(db, opera.uri))[bo.uri] == "coordinator"
    anna_uri = opera.uri.replace("/projects/opera", "/members/anna")
    await post_on_team(browser, "/projects/opera/team/role", actor=bo.uri, role="guest")
    last = await post_on_team(browser, "/projects/opera/team/role", actor=anna_uri,
                              role="member")  # fmt: skip
    assert last.status_code == 409 and "at least one coordinator" in last.text
    removed = await post_on_team(browser, "/projects/opera/team/remove", actor=bo.uri)
    assert removed.status_code == 303 and bo.uri not in await team(db, opera.uri)
    [remove] = await sent(db, "Remove")
    assert remove.document["object"] == bo.uri


async def test_a_member_leaves_the_team_from_the_project_page(browser, db, settings, opera) -> None:
    await sign_in(browser, "anna")
    page = await browser.get("/projects/opera", headers=HTML)
    assert 'action="/projects/opera/leave"' in page.text and "Your role: coordinator" in page.text
    left = await browser.post("/projects/opera/leave", data=hidden_fields(page.text))
    assert left.status_code == 303 and await team(db, opera.uri) == {}
    assert len(await sent(db, "Remove")) == 1


async def test_only_coordinators_manage_the_team(browser, db, settings, opera) -> None:
    await member_with_password(db, settings, "bo")
    assert (await browser.get("/projects/opera/team")).status_code == 303
    await sign_in(browser, "bo")
    page = await browser.get("/projects/opera/team")
    assert page.status_code == 403 and "Only the project" in page.text
    csrf = hidden_fields((await browser.get("/projects/opera", headers=HTML)).text)["csrf"]
    refused = await browser.post("/projects/opera/team/invite",
                                 data={"csrf": csrf, "handle": "@bob@remote.example"})  # fmt: skip
    assert refused.status_code == 403 and await requests(db) == []
    no_token = await browser.post("/projects/opera/team/invite", data={"handle": "bo"})
    assert no_token.status_code == 403 and await sent(db, "Invite") == []


async def test_a_member_asks_to_join_a_project_on_another_node(
    browser, db, settings, opera
) -> None:
    await sign_in(browser, "anna")
    page = await browser.get("/team-invitations")
    csrf = hidden_fields(page.text)["csrf"]
    assert 'action="/team-invitations/join"' in page.text
    asked = await browser.post("/team-invitations/join", data={"csrf": csrf, "project": BRASS})
    assert asked.status_code == 303 and asked.headers["location"].endswith("done=asked")
    [join] = await sent(db, "Join")
    assert join.document["object"] == BRASS and join.document["to"] == [BRASS]
    assert await fan_out(db, settings, join) == ["https://be.smart.example/inbox"]
    not_in = await browser.post("/team-invitations/leave", data={"csrf": csrf, "project": BRASS})
    assert not_in.status_code == 404 and "not in this project" in not_in.text
    nowhere = await browser.post("/team-invitations/join", data={"csrf": csrf, "project": ""})
    assert nowhere.status_code == 422 and len(await sent(db, "Join")) == 1
