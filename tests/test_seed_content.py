"""Seeded open calls and events: in the country's language, on curated ESCO skills, dated
relative to now, published through the real services (Create in the outbox, calls on the
board, events at their pages), once per member or project (idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from smartnode.matching.curated import seed_concepts
from smartnode.seed import COUNTRIES, load_country, seed_country
from smartnode.storage.models import Activity, ContentObject
from tests.conftest import Invoke, now, query
from tests.test_seed import LOCAL_LANGUAGES

CHECK_AT = datetime(2027, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("country", COUNTRIES)
def test_each_country_has_two_calls_and_an_event_in_its_language(country: str) -> None:
    data = load_country(country)
    kinds = {c.uri: c.kind for c in seed_concepts()}
    projects = {p.slug for p in data.projects}
    assert len(data.calls) == 2 and len(data.events) == 1
    assert len({c.project for c in data.calls}) == 2 and {c.project for c in data.calls} <= projects
    for seed in data.calls:
        call = seed.call_input(CHECK_AT)
        assert call.language in LOCAL_LANGUAGES[country], call.title
        assert call.place is not None and call.place.country == country
        assert call.skills and all(kinds.get(uri) == "skill" for uri in call.skills), call.title
        assert call.closes_at is not None and call.closes_at > CHECK_AT
        assert call.starts_on is None or call.starts_on > CHECK_AT.date()
        assert call.paid is not None and call.paid.currency == ("SEK" if country == "SE" else "EUR")
    [seed_event] = data.events
    event = seed_event.event_input(CHECK_AT)
    assert seed_event.author in projects | {m.username for m in data.members}
    assert event.language in LOCAL_LANGUAGES[country] and event.starts_at > CHECK_AT
    assert event.timezone.startswith("Europe/") and (event.place or event.online_url)


async def test_seeding_publishes_open_calls_and_upcoming_events(client, db, settings) -> None:
    async with db.session() as s, s.begin():
        report = await seed_country(s, settings, "se", now())
    assert len(report.calls) == 2 and len(report.events) == 1
    async with db.session() as s:
        calls = (await s.scalars(select(ContentObject).where(ContentObject.kind == "call"))).all()
        assert {c.uri for c in calls} == set(report.calls)
        for call in calls:
            assert call.state == "open" and call.visibility == "public" and call.language == "sv"
            assert call.closes_at is not None and call.closes_at.replace(tzinfo=UTC) > now()
        [event] = (
            await s.scalars(select(ContentObject).where(ContentObject.kind == "event"))
        ).all()
        assert event.uri == report.events[0] and event.starts_at is not None
        assert now() < event.starts_at.replace(tzinfo=UTC) < now() + timedelta(days=40)
        created = await s.scalars(
            select(Activity.object_uri).where(Activity.activity_type == "Create")
        )
        assert {*report.calls, *report.events} <= set(created.all())
    board = (await client.get("/api/smart/v1/board")).json()
    assert {item["uri"] for item in board["items"]} == set(report.calls)
    assert all(item["author_handle"].endswith(f"@{settings.domain}") for item in board["items"])
    page = await client.get(event.uri, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Central European" in page.text  # the zone, named
    assert "application/ld+json" in page.text


async def test_seeding_again_publishes_nothing_twice(db, settings) -> None:
    async with db.session() as s, s.begin():
        await seed_country(s, settings, "be", now())
    async with db.session() as s, s.begin():
        again = await seed_country(s, settings, "be", now())
    assert again.calls == [] and again.events == [] and again.projects == []
    async with db.session() as s:
        counted = await s.execute(
            select(ContentObject.kind, func.count()).group_by(ContentObject.kind)
        )
        assert dict(counted.all()) == {"call": 2, "event": 1}


def test_cli_seed_if_empty_publishes_once(smartnode: Invoke, database_url: str) -> None:
    first = smartnode("seed", "--if-empty", "--country", "fr")
    assert first.exit_code == 0, first.output
    assert "Published 2 open calls and 1 event." in first.output
    second = smartnode("seed", "--if-empty", "--country", "fr")
    assert second.exit_code == 0 and "nothing seeded" in second.output
    rows = query(database_url, select(ContentObject.kind, ContentObject.language))
    assert sorted(rows) == [("call", "fr"), ("call", "fr"), ("event", "fr")]
