"""Public pages kept rendered for visitors (web/page_cache.py): per address and language, never
for a signed-in member, emptied by a write through this process, and off at 0 seconds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update

from smartnode.config import Settings
from smartnode.storage.models import ContentObject
from tests.accounts.account_support import member_with_password, sign_in
from tests.conftest import make_project
from tests.content import node_client
from tests.inbox import Fediverse
from tests.inbox.applications import make_call

HTML = {"Accept": "text/html"}


@pytest.fixture
async def visitor(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


async def rename(db, uri: str, name: str) -> None:
    """A change made by another process (the worker, the CLI): this process hears nothing."""
    async with db.session() as s, s.begin():
        await s.execute(
            update(ContentObject)
            .where(ContentObject.uri == uri)
            .values(name=name, extra={"call": {"title": name}})
        )


async def a_call(db, settings) -> tuple[str, str]:
    await member_with_password(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer")
    return call.uri, call.uri.removeprefix(settings.base_url)


async def test_a_visitor_gets_the_kept_page_until_it_expires(visitor, db, settings) -> None:
    uri, path = await a_call(db, settings)
    first = await visitor.get(path, headers=HTML)
    assert first.status_code == 200 and "Drummer" in first.text
    await rename(db, uri, "Bassist")
    again = await visitor.get(path, headers=HTML)
    assert again.status_code == 200 and again.text == first.text
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["content-language"] == "en"
    board = await visitor.get("/board")
    assert "Bassist" in board.text  # the board was never kept before: rendered now
    await rename(db, uri, "Cellist")
    assert "Bassist" in (await visitor.get("/board")).text
    assert "Cellist" in (await visitor.get("/board?sort=closing")).text  # another address


async def test_each_language_has_its_own_page(visitor, db, settings) -> None:
    await a_call(db, settings)
    english = await visitor.get("/board", headers={"Accept-Language": "en"})
    swedish = await visitor.get("/board", headers={"Accept-Language": "sv"})
    assert english.headers["content-language"] == "en" and '<html lang="en">' in english.text
    assert swedish.headers["content-language"] == "sv" and '<html lang="sv">' in swedish.text
    again = await visitor.get("/board", headers={"Accept-Language": "sv"})
    assert again.text == swedish.text


async def test_a_member_always_gets_a_fresh_page(visitor, db, settings) -> None:
    uri, path = await a_call(db, settings)
    await sign_in(visitor, "anna")
    first = await visitor.get(path, headers=HTML)
    assert first.status_code == 200 and "Bassist" not in first.text
    await rename(db, uri, "Bassist")
    page = await visitor.get(path, headers=HTML)
    assert page.status_code == 200 and "Bassist" in page.text
    assert not visitor.app.state.pages._entries  # type: ignore[attr-defined]


async def test_a_write_here_empties_the_cache_and_an_inbox_post_does_not(
    visitor, db, settings
) -> None:
    uri, path = await a_call(db, settings)
    assert "Drummer" in (await visitor.get(path, headers=HTML)).text
    await rename(db, uri, "Bassist")
    refused = await visitor.post(
        "/inbox", content=b"{}", headers={"Content-Type": "application/activity+json"}
    )
    assert refused.status_code in (400, 401)
    assert "Drummer" in (await visitor.get(path, headers=HTML)).text
    await visitor.post("/signin", data={"name": "anna", "password": "wrong"})  # any write
    assert "Bassist" in (await visitor.get(path, headers=HTML)).text


async def test_only_a_plain_success_is_kept(visitor, db, settings) -> None:
    _uri, path = await a_call(db, settings)
    missing = path[:-4] + "zzzz"
    assert (await visitor.get(missing, headers=HTML)).status_code == 404
    cache = visitor.app.state.pages  # type: ignore[attr-defined]
    assert all(missing not in key for key in cache._entries)
    await visitor.get(path, headers=HTML)
    assert any(key.endswith(path) for key in cache._entries)


async def test_zero_seconds_keeps_nothing(db, settings: Settings) -> None:
    off = settings.model_copy(update={"page_cache_seconds": 0})
    async with node_client(off, Fediverse()) as visitor:
        uri, path = await a_call(db, off)
        assert "Drummer" in (await visitor.get(path, headers=HTML)).text
        await rename(db, uri, "Bassist")
        assert "Bassist" in (await visitor.get(path, headers=HTML)).text
