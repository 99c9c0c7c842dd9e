"""The page of a post that is not public: its author, a coordinator of its project and those it
is addressed to (a follower, for a followers-only post) read it; any other member and any
visitor are told it does not exist; no such page is ever kept for visitors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from smartnode.storage.models import Follow
from tests.accounts.account_support import member_with_password, sign_in
from tests.conftest import make_project
from tests.content import make_post, node_client
from tests.inbox import Fediverse

HTML = {"Accept": "text/html"}


@pytest.fixture
async def browser(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


async def follows(db, follower, followed) -> None:
    async with db.session() as s, s.begin():
        s.add(Follow(follower_id=follower.id, followed_id=followed.id, state="accepted",
                     created_at=datetime.now(UTC)))  # fmt: skip


async def test_who_reads_a_followers_only_post(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    ben = await member_with_password(db, settings, "ben")
    await member_with_password(db, settings, "cleo")
    await follows(db, ben, anna)
    post = await make_post(db, settings, anna, content="Only for you", visibility="followers")
    path = post.uri.removeprefix(settings.base_url)
    assert (await browser.get(path, headers=HTML)).status_code == 404  # a visitor
    for name, status in (("anna", 200), ("ben", 200), ("cleo", 404)):
        await sign_in(browser, name)
        page = await browser.get(path, headers=HTML)
        assert page.status_code == status, name
        assert ("Only for you" in page.text) == (status == 200)
        browser.cookies.clear()
    assert not browser.app.state.pages._entries  # type: ignore[attr-defined]


async def test_a_coordinator_reads_the_projects_post(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    post = await make_post(db, settings, jazz, content="Team only", visibility="followers")
    await sign_in(browser, "anna")
    page = await browser.get(post.uri.removeprefix(settings.base_url), headers=HTML)
    assert page.status_code == 200 and "Team only" in page.text


async def test_a_private_page_is_never_stored_by_a_cache(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    post = await make_post(db, settings, anna, content="Mine", visibility="followers")
    await sign_in(browser, "anna")
    page = await browser.get(post.uri.removeprefix(settings.base_url), headers=HTML)
    assert page.status_code == 200
    assert "no-store" in page.headers.get("cache-control", "")
