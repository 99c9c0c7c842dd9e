"""The home, project and tag pages list open calls, upcoming events and posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartnode.accounts.principal import member as member_principal
from smartnode.actors.records import node_uris
from smartnode.content.event_cases import publish_event
from smartnode.content.events_inputs import EventInput
from tests.conftest import make_member, make_project
from tests.content import make_post
from tests.inbox.applications import make_call, remote_actor, remote_call

BAND = "https://fr.smart.example/projects/band"


async def arrange(db, settings):
    anna = await make_member(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna")
    await make_call(db, settings, jazz, title="Drummer", terms={"remote": True})
    await make_call(db, settings, jazz, title="Old call", state="closed")
    tagged = await make_call(db, settings, jazz, title="Bassist", terms={"remote": True})
    async with db.session() as s, s.begin():
        row = await s.get(type(tagged), tagged.id)
        row.tags = [{"type": "Hashtag", "href": f"{settings.base_url}/tags/jazz",
                     "name": "#jazz"}]  # fmt: skip
    band = await remote_actor(db, BAND, "Group")
    await remote_call(db, band, "https://fr.smart.example/calls/c1")
    starts = datetime.now(UTC) + timedelta(days=5)
    past = starts - timedelta(days=400)
    for name, when in (("Summer concert #jazz", starts), ("Last year's gig", past)):
        data = EventInput.model_validate({
            "name": name.split(" #")[0], "content": name, "starts_at": when.isoformat(),
            "timezone": "Europe/Stockholm", "online_url": "https://meet.example/jazz",
        })  # fmt: skip
        async with db.session() as s, s.begin():
            await publish_event(s, node_uris(settings), member_principal(anna.id), "jazz", data,
                                datetime.now(UTC))  # fmt: skip
    await make_post(db, settings, jazz, content="We rehearse tonight #jazz")
    return jazz


async def test_home_lists_open_calls_and_upcoming_events(client, db, settings) -> None:
    await arrange(db, settings)
    page = (await client.get("/")).text
    assert "Drummer" in page and "Bassist" in page and "Light designer" in page
    assert "Old call" not in page
    assert "Summer concert" in page and "Last year" not in page
    assert 'href="/board"' in page


async def test_a_project_page_lists_its_calls_events_and_posts(client, db, settings) -> None:
    jazz = await arrange(db, settings)
    page = (await client.get(jazz.uri, headers={"Accept": "text/html"})).text
    assert "Drummer" in page and "Bassist" in page and "Light designer" not in page
    assert "Old call" not in page and "Summer concert" in page and "Last year" not in page
    assert "We rehearse tonight" in page


async def test_a_tag_page_lists_posts_calls_and_events(client, db, settings) -> None:
    await arrange(db, settings)
    page = (await client.get("/tags/jazz", headers={"Accept-Language": "de"})).text
    assert "Bassist" in page and "Drummer" not in page
    assert "Summer concert" in page and "We rehearse tonight" in page
    assert "Offene Ausschreibungen" in page and "Bevorstehende Veranstaltungen" in page
