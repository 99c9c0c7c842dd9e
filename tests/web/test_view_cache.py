"""What the board and a call's page show is kept as read (web/view_cache.py), never the page: a
change to it shows on the next request, whether made in the browser (a call published, edited,
closed, filled by an accepted application), by another process (the worker storing a peer's
call), or by time (a deadline passing); what depends on the viewer (their buttons, their
language) is found on each request. The node here keeps no page rendered (as for members)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from smartnode.matching.curated import load_seed
from smartnode.storage.models import ContentObject
from smartnode.storage.written import SHARED
from smartnode.web import board as board_views
from smartnode.web import calls as call_views
from smartnode.web.view_cache import ViewCache
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import node_client
from tests.inbox import Fediverse
from tests.inbox.applications import applications, make_call, remote_actor
from tests.web.other_process import run_elsewhere
from tests.web.test_call_forms import csrf_of, terms

HTML = {"Accept": "text/html"}
BAND = "https://fr.smart.example/projects/band"
PEER_CALL = "https://fr.smart.example/calls/c9"
Browsers = tuple[httpx.AsyncClient, httpx.AsyncClient]


@pytest.fixture
async def node(db, settings) -> AsyncIterator[Browsers]:
    """A visitor's browser and a member's on one node that keeps no page rendered."""
    uncached = settings.model_copy(update={"page_cache_seconds": 0})
    async with db.session() as s, s.begin():
        await load_seed(s, datetime.now(UTC))
    async with node_client(uncached, Fediverse()) as visitor:
        transport = httpx.ASGITransport(app=visitor.app)  # type: ignore[attr-defined]
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as member:
            yield visitor, member


def titles(page: str) -> list[str]:
    return sorted(re.findall(r'<h3><a href="[^"]+" lang="[^"]*">([^<]+)</a></h3>', page))


async def board(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/board")
    assert response.status_code == 200
    return titles(response.text)


async def page(client: httpx.AsyncClient, path: str, **headers: str) -> str:
    response = await client.get(path, headers={**HTML, **headers})
    assert response.status_code == 200
    return response.text


def kept(client: httpx.AsyncClient) -> int:
    """How many views the node keeps (each page read once is kept until it changes)."""
    views: ViewCache = client.app.state.views  # type: ignore[attr-defined]
    return len(views._entries)


async def until(check: Any, what: str) -> None:
    for _ in range(400):
        if check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never: {what}")


async def test_a_call_published_edited_and_closed_in_the_browser_shows_on_the_next_request(
    node: Browsers, db, settings
) -> None:
    visitor, anna = node
    await member_with_password(db, settings, "anna")
    await make_project(db, settings, "Opera", "anna", slug="opera", language="sv", country="SE")
    assert await board(visitor) == []
    await sign_in(anna, "anna")
    csrf = await csrf_of(anna, "/projects/opera/calls/new")
    created = await anna.post("/projects/opera/calls/new", data={"csrf": csrf, **terms()})
    path = created.headers["location"]
    assert await board(visitor) == ["Dancers for Carmen"]
    assert "Dancers for Carmen" in await page(visitor, path)
    assert kept(visitor) == 2  # the board and the call's page, read once each
    assert await board(visitor) == ["Dancers for Carmen"]
    edited = await anna.post(f"{path}/edit", data={"csrf": csrf, **terms(title="Three dancers")})
    assert edited.status_code == 303
    assert await board(visitor) == ["Three dancers"]
    assert "Three dancers" in await page(visitor, path)
    closed = await anna.post(f"{path}/state", data={"csrf": csrf, "state": "closed"})
    assert closed.status_code == 303
    assert await board(visitor) == []
    assert "This call is closed." in await page(visitor, path)


async def test_the_viewers_own_part_is_found_on_each_request(node: Browsers, db, settings) -> None:
    visitor, anna = node
    await member_with_password(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer", terms={"country": "SE"})
    path = call.uri.removeprefix(settings.base_url)
    seen = await page(visitor, path)
    assert "Close the call" not in seen and 'action="/apply"' not in seen
    await sign_in(anna, "anna")
    mine = await anna.get(path, headers=HTML)
    assert "Close the call" in mine.text and 'action="/apply"' in mine.text
    assert mine.headers["cache-control"] == "private, no-store"
    again = await page(visitor, path)
    assert "Close the call" not in again and 'action="/apply"' not in again
    swedish = await page(visitor, path, **{"Accept-Language": "sv"})
    assert '<html lang="sv">' in swedish and "Sweden" not in swedish
    assert "Sweden" in await page(visitor, path)
    on_board = (await visitor.get("/board", headers={"Accept-Language": "sv"})).text
    assert "Öppen" in on_board and "Sverige" in on_board


async def test_an_accepted_application_that_fills_the_call_shows_at_once(
    node: Browsers, db, settings
) -> None:
    visitor, browser = node
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "bo")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer", terms={"positions": 1})
    path = call.uri.removeprefix(settings.base_url)
    assert await board(visitor) == ["Drummer"]
    assert "Open call" in await page(visitor, path)
    await sign_in(browser, "bo")
    fields = hidden_fields((await browser.get(path, headers=HTML)).text)
    applied = await browser.post("/apply", data={**fields, "motivation": "I keep time"})
    assert applied.status_code == 303
    assert "Open call" in await page(visitor, path)  # an application changes nothing shown
    browser.cookies.clear()
    await sign_in(browser, "anna")
    queue = f"{path}/applications"
    csrf = hidden_fields((await browser.get(queue)).text)["csrf"]
    [application] = await applications(db)
    accepted = await browser.post(f"{queue}/{application.id}", data={
        "csrf": csrf, "decision": "accept", "role": "guest", "message": "Welcome!"})  # fmt: skip
    assert accepted.status_code == 303
    assert await board(visitor) == []
    assert "This call is filled." in await page(visitor, path)


async def test_a_change_made_by_another_process_shows_on_the_next_request(
    node: Browsers, db, settings
) -> None:
    """SQLite: any commit to the file is seen on the next request; PostgreSQL: the tables the
    other process's commit wrote are heard (NOTIFY), which happens as it commits."""
    visitor, _ = node
    await member_with_password(db, settings, "anna")
    await remote_actor(db, BAND, "Group")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer")
    path = call.uri.removeprefix(settings.base_url)
    assert await board(visitor) == ["Drummer"]
    assert "Open call" in await page(visitor, path)
    bus = visitor.app.state.cache_bus  # type: ignore[attr-defined]
    assert (bus is None) == settings.is_sqlite
    for action, uri, value in (("store", PEER_CALL, BAND), ("state", call.uri, "closed")):
        heard = bus.heard_tables if bus is not None else 0
        await run_elsewhere(settings.database_url, action, uri, value)
        if bus is not None:
            await until(lambda h=heard: bus.heard_tables > h, "the other process's notice")
        if action == "store":
            assert await board(visitor) == ["Drummer", "Stage manager"]
    assert await board(visitor) == ["Stage manager"]
    assert "This call is closed." in await page(visitor, path)


async def test_a_call_leaves_the_kept_board_when_its_deadline_passes(
    node: Browsers, db, settings
) -> None:
    visitor, _ = node
    await member_with_password(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Drummer")
    await make_call(db, settings, jazz, title="Bassist")
    closes = datetime.now(UTC) + timedelta(seconds=3)
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, call.id)
        assert row is not None
        row.closes_at = closes
    path = call.uri.removeprefix(settings.base_url)
    assert await board(visitor) == ["Bassist", "Drummer"]
    assert "Open call" in await page(visitor, path)
    await asyncio.sleep((closes - datetime.now(UTC)).total_seconds() + 0.05)
    assert await board(visitor) == ["Bassist"]
    assert "The deadline of this call has passed." in await page(visitor, path)


def test_other_processes_tell_of_every_table_a_view_is_read_from() -> None:
    assert board_views.TABLES | call_views.TABLES <= SHARED


def test_a_view_goes_when_a_table_it_was_read_from_changes() -> None:
    views = ViewCache(60)
    read_at = views.stamp()
    views.put("calls", 1, tables=frozenset({"objects", "actors"}), read_at=read_at)
    views.put("labels", 2, tables=frozenset({"skill_labels"}), read_at=read_at)
    views.written(frozenset({"actors", "web_sessions"}))
    assert views.get("calls") is None and views.get("labels") == 2
    read_at = views.stamp()
    views.written(frozenset({"objects"}))  # committed while "calls" was read: not kept
    views.put("calls", 3, tables=frozenset({"objects"}), read_at=read_at)
    assert views.get("calls") is None
    views.put("calls", 4, tables=frozenset({"objects"}), read_at=views.stamp())
    assert views.get("calls") == 4
    views.written(frozenset({"*"}))  # a statement naming no table: anything may have changed
    assert views.get("calls") is None and views.get("labels") is None


def test_a_view_goes_at_the_deadline_it_shows_and_nothing_is_kept_at_zero_seconds() -> None:
    views = ViewCache(60)
    past = datetime.now(UTC) - timedelta(seconds=1)
    views.put("board", 1, tables=frozenset({"objects"}), read_at=views.stamp(), until=past)
    assert views.get("board") is None
    off = ViewCache(0)
    off.put("board", 1, tables=frozenset({"objects"}), read_at=off.stamp())
    assert off.get("board") is None
