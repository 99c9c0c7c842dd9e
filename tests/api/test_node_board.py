"""The node actor's `board` (/actor/board): our open public calls and upcoming public events,
newest first, each embedded as served at its id, in keyset pages; closed, expired, private
and past things are not on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.app import create_app
from smartnode.federation.vocab import ACTIVITY_JSON
from smartnode.seed import seed_country
from smartnode.storage.models import Actor, ContentObject
from tests.matching.feeds_arrange import call

AP = {"Accept": ACTIVITY_JSON}
TODAY = datetime.now(UTC)


@pytest.fixture
async def api(db, settings) -> AsyncIterator[httpx.AsyncClient]:
    small = settings.model_copy(update={"collection_page_size": 2})
    app = create_app(small)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=small.base_url) as c,
    ):
        yield c


async def walk(api: httpx.AsyncClient, first: str) -> list[dict]:
    """Every item of the board, page after page."""
    items: list[dict] = []
    url: str | None = first
    while url:
        page = await api.get(url, headers=AP)
        assert page.status_code == 200 and page.json()["id"] == url
        assert len(page.json()["orderedItems"]) <= 2
        items += page.json()["orderedItems"]
        url = page.json().get("next")
    return items


async def test_the_board_lists_open_public_calls_and_upcoming_public_events(
    db, settings, api
) -> None:
    async with db.session() as session, session.begin():  # 2 open calls and 1 event
        await seed_country(session, settings, "SE", TODAY)
    async with db.session() as session:
        seeded = await session.scalar(select(ContentObject).where(ContentObject.kind == "call"))
        project = await session.get(Actor, seeded.actor_id)
    later = TODAY + timedelta(days=30)
    third = await call(db, project, title="Lighting", closes_at=later)
    await call(db, project, title="Closed", state="closed", closes_at=later)
    await call(db, project, title="Filled", state="filled", closes_at=later)
    await call(db, project, title="Expired", closes_at=TODAY - timedelta(days=1))
    await call(db, project, title="Private", visibility="followers", closes_at=later)

    node = (await api.get("/actor", headers=AP)).json()
    assert node["board"] == f"{settings.base_url}/actor/board"
    assert node["@context"][2]["board"] == {"@id": "sm:board", "@type": "@id"}
    root = (await api.get(node["board"], headers=AP)).json()
    assert (root["type"], root["totalItems"]) == ("OrderedCollection", 4)

    items = await walk(api, root["first"])

    async with db.session() as session:
        rows = (
            await session.scalars(select(ContentObject).order_by(ContentObject.id.desc()))
        ).all()
    open_calls = [r.uri for r in rows if r.kind == "call" and r.name not in
                  ("Closed", "Filled", "Expired", "Private")]  # fmt: skip
    events = [r.uri for r in rows if r.kind == "event"]
    assert [item["id"] for item in items] == [
        r.uri for r in rows if r.uri in {*open_calls, *events}
    ]
    assert third.uri in open_calls and len(open_calls) == 3 and len(events) == 1
    assert {item["type"] for item in items} == {"Note", "Event"}
    for item in items:  # embedded as served at its id
        served = (await api.get(item["id"].removeprefix(settings.base_url), headers=AP)).json()
        assert item == served


async def test_past_events_are_not_on_the_board_and_pages_refuse_bad_cursors(
    db, settings, api
) -> None:
    async with db.session() as session, session.begin():
        await seed_country(session, settings, "SE", TODAY)
        event = await session.scalar(select(ContentObject).where(ContentObject.kind == "event"))
        event.starts_at = TODAY - timedelta(days=2)
        event.ends_at = TODAY - timedelta(days=2) + timedelta(hours=2)
    root = (await api.get("/actor/board", headers=AP)).json()
    items = await walk(api, root["first"])
    assert root["totalItems"] == 2 and {item["type"] for item in items} == {"Note"}
    assert (await api.get("/actor/board?min_id=3", headers=AP)).status_code == 400
    assert (await api.get("/actor/board?max_id=x", headers=AP)).status_code == 400
