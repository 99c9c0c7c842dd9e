"""Follow and Unfollow from a member's or project's page, and what follows shows on the home
page: the follow rows, and the refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from smartnode.storage.models import Follow
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import make_post, node_client
from tests.inbox import Fediverse
from tests.inbox.applications import sent

HTML = {"Accept": "text/html"}


@pytest.fixture
async def browser(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


async def follows(db) -> list[tuple[int, int, str]]:
    async with db.session() as s:
        rows = await s.execute(select(Follow.follower_id, Follow.followed_id, Follow.state))
        return [tuple(row) for row in rows.all()]


async def test_a_member_follows_a_project_and_sees_its_posts_at_home(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "ben")
    jazz = await make_project(db, settings, "Jazz", "ben")
    await make_post(db, settings, jazz, content="Concert on Friday")
    await sign_in(browser, "anna")
    home = await browser.get("/")
    assert "From those you follow" in home.text and "Concert on Friday" not in home.text
    page = await browser.get("/projects/jazz", headers=HTML)
    assert page.status_code == 200 and ">Follow</button>" in page.text
    assert "no-store" in page.headers["cache-control"]
    form = hidden_fields(page.text)
    done = await browser.post("/follow", data=form)
    assert done.status_code == 303 and done.headers["location"] == "/projects/jazz"
    assert await follows(db) == [(anna.id, jazz.id, "accepted")]
    assert "Stop following" in (await browser.get("/projects/jazz", headers=HTML)).text
    assert "Concert on Friday" in (await browser.get("/")).text
    again = hidden_fields((await browser.get("/projects/jazz", headers=HTML)).text)
    assert (await browser.post("/unfollow", data=again)).status_code == 303
    assert await follows(db) == []
    assert "Concert on Friday" not in (await browser.get("/")).text


async def test_a_member_follows_another_member_of_the_node_at_once(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    ben = await member_with_password(db, settings, "ben")
    page = await browser.get("/members/ben", headers=HTML)
    form = hidden_fields(page.text)
    assert form["target"] == ben.uri
    assert (await browser.post("/follow", data=form)).status_code == 303
    assert await follows(db) == [(anna.id, ben.id, "accepted")]
    assert [a.activity_type for a in await sent(db)] == []  # a local follow sends nothing


async def test_no_button_for_a_visitor_or_on_ones_own_page(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    visitor = await browser.get("/members/anna", headers=HTML)
    assert "/follow" not in visitor.text
    await sign_in(browser, "anna")
    own = await browser.get("/members/anna", headers=HTML)
    assert 'action="/follow"' not in own.text


async def test_refusals_leave_nothing_behind(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    ben = await member_with_password(db, settings, "ben")
    forged = await browser.post("/follow", data={"target": ben.uri, "csrf": "x", "next": "/"})
    assert forged.status_code == 403
    await sign_in(browser, "anna")
    form = hidden_fields((await browser.get("/members/ben", headers=HTML)).text)
    assert (await browser.post("/follow", data={**form, "csrf": "forged"})).status_code == 403
    missing = {**form, "target": f"{settings.base_url}/members/nobody"}
    refused = await browser.post("/follow", data=missing)
    assert refused.status_code == 404 and "no one to follow" in refused.text
    away = await browser.post("/follow", data={**form, "next": "https://evil.example/"})
    assert away.status_code == 303 and away.headers["location"] == "/"
    assert len(await follows(db)) == 1
