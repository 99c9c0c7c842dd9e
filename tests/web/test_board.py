"""The board page (/board): open calls of this node and of peer nodes, facets as a GET form,
page links; in the viewer's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from smartnode.accounts.principal import member as member_principal
from smartnode.actors.records import node_uris
from smartnode.content.call_cases import publish_call
from smartnode.content.calls_inputs import CallInput
from smartnode.storage.models import ContentObject
from tests.conftest import make_member, make_project
from tests.inbox.applications import make_call, remote_actor, remote_call

BAND = "https://fr.smart.example/projects/band"
ESCO = "http://data.europa.eu/esco/skill/aaaa-bbbb"


def titles(page: str) -> list[str]:
    return re.findall(r'<h3><a href="[^"]+" lang="[^"]*">([^<]+)</a></h3>', page)


async def arrange(db, settings):
    anna = await make_member(db, settings, "anna")
    jazz = await make_project(db, settings, "Jazz", "anna", sectors=["music"])
    soon = datetime.now(UTC) + timedelta(days=3)
    data = CallInput.model_validate({
        "title": "Drummer", "description": "Drums for a tour #music", "language": "en",
        "place": {"country": "SE", "city": "Malmö"}, "closes_at": soon.isoformat(),
        "paid": {"amount": "200", "currency": "EUR", "unit": "day"}, "languages": ["sv"],
    })  # fmt: skip
    async with db.session() as s, s.begin():
        await publish_call(s, node_uris(settings), member_principal(anna.id), "jazz", data,
                           datetime.now(UTC))  # fmt: skip
    await make_call(db, settings, jazz, title="Mixer", terms={"remote": True, "skills": [ESCO]})
    await make_call(db, settings, jazz, title="Filled one", state="filled")
    band = await remote_actor(db, BAND, "Group")
    await remote_call(db, band, "https://fr.smart.example/calls/c1")
    return jazz


async def test_the_board_lists_open_calls_of_every_node_with_their_terms(
    client, db, settings
) -> None:
    await arrange(db, settings)
    response = await client.get("/board")
    assert response.status_code == 200
    page = response.text
    assert sorted(titles(page)) == ["Drummer", "Light designer", "Mixer"]
    assert "Filled one" not in page
    assert "Malmö, Sweden" in page and "€200.00 per day" in page and "Remote" in page
    assert "/authorize_interaction?uri=https%3A%2F%2Ffr.smart.example%2Fcalls%2Fc1" in page
    assert '<a href="/board">Call board</a>' in page


async def test_facets_filter_the_calls(client, db, settings) -> None:
    await arrange(db, settings)

    async def shown(**params: str) -> list[str]:
        response = await client.get("/board", params=params)
        assert response.status_code == 200, response.text
        return sorted(titles(response.text))

    assert await shown(country="SE") == ["Drummer"]
    assert await shown(city="malmo") == ["Drummer"]
    assert await shown(remote="yes") == ["Mixer"]
    assert await shown(paid="yes") == ["Drummer"]
    assert await shown(paid="no") == ["Light designer", "Mixer"]
    assert await shown(language="sv") == ["Drummer"]
    assert await shown(skill=ESCO) == ["Mixer"]
    assert await shown(skill="no such skill") == []
    assert await shown(sector="music") == ["Drummer"]
    tomorrow_week = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    assert await shown(deadline=tomorrow_week) == ["Drummer"]
    assert (await client.get("/board", params={"deadline": "soon"})).status_code == 400


async def test_pages_are_linked_and_keep_the_filters(client, db, settings) -> None:
    jazz = await arrange(db, settings)
    for number in range(25):
        await make_call(db, settings, jazz, title=f"Extra {number:02}", terms={"remote": True})
    first = await client.get("/board", params={"remote": "yes"})
    assert len(titles(first.text)) == 20
    next_url = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert next_url and "remote=yes" in next_url.group(1)
    second = await client.get(next_url.group(1).replace("&amp;", "&"))
    assert len(titles(second.text)) == 6 and 'rel="next"' not in second.text
    assert 'rel="first"' in second.text and "page 2" in second.text
    assert set(titles(first.text)).isdisjoint(titles(second.text))
    refused = await client.get("/board", params={"after": "bogus", "page": "2"})
    assert refused.status_code == 400


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return found.group(1).replace("&amp;", "&") if found else None


async def test_previous_page_links_walk_back_with_the_same_filters(client, db, settings) -> None:
    jazz = await arrange(db, settings)
    soon = datetime.now(UTC) + timedelta(days=2)
    for number in range(45):
        call = await make_call(db, settings, jazz, title=f"Extra {number:02}",
                               terms={"remote": True, "skills": [ESCO]})  # fmt: skip
        if number < 25:  # some deadlines, some ties, the rest without one
            async with db.session() as s, s.begin():
                row = await s.get(ContentObject, call.id)
                assert row is not None
                row.closes_at = soon + timedelta(hours=number // 2)
    for params in ({"remote": "yes"}, {"skill": ESCO, "sort": "closing"}):
        forward = [await client.get("/board", params=params)]
        while (after := link(forward[-1].text, "next")) is not None:
            forward.append(await client.get(after))
        assert [len(titles(p.text)) for p in forward] == [20, 20, 6]
        assert 'rel="prev"' not in forward[0].text
        back = link(forward[2].text, "prev")
        assert back is not None and "before=" in back and "page=2" in back
        assert all(urlencode({k: v}) in back for k, v in params.items())
        second = await client.get(back)
        assert second.status_code == 200 and "page 2" in second.text
        assert titles(second.text) == titles(forward[1].text)
        assert titles((await client.get(link(second.text, "next") or "")).text) == titles(
            forward[2].text
        )
        first = link(second.text, "prev")
        assert first is not None and "before=" not in first and "page=" not in first
        assert titles((await client.get(first)).text) == titles(forward[0].text)
        assert link(forward[1].text, "prev") == first
    both = link(forward[1].text, "next") or ""
    assert (
        await client.get(both + "&before=" + both.split("after=")[1].split("&")[0])
    ).status_code == 400


async def test_the_board_speaks_the_viewers_language(client, db, settings) -> None:
    await arrange(db, settings)
    page = (await client.get("/board", headers={"Accept-Language": "fr"})).text
    assert '<html lang="fr">' in page and "Tableau des appels" in page
    assert "Malmö, Suède" in page and "par jour" in page and "Suède" in page


@pytest.mark.parametrize("language", ["sv", "fr", "nl", "de", "it", "es"])
async def test_the_board_and_a_call_page_render_in_every_language(
    client, db, settings, language: str
) -> None:
    await arrange(db, settings)
    board = await client.get("/board", headers={"Accept-Language": language})
    assert board.status_code == 200 and f'<html lang="{language}">' in board.text
    assert "Call board" not in board.text and "per day" not in board.text
    first = re.search(r'<h3><a href="(https://se\.smart\.test/calls/[^"]+)"', board.text)
    assert first
    page = await client.get(first.group(1), headers={"Accept": "text/html",
                                                     "Accept-Language": language})  # fmt: skip
    assert page.status_code == 200 and "Positions" not in page.text
