"""The pages of our notes, events and calls show their public and unlisted replies beneath
(author, text, time, link), 50 at a time with a link to more; other replies never show."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from smartnode.matching.curated import load_seed
from tests.api.test_v1_calls import body as call_body
from tests.api.threads import HTML, post, remote_reply
from tests.api.threads import world as make_world
from tests.conftest import make_member, make_project
from tests.content import member_headers, node_client
from tests.inbox import Fediverse

_SHOWN = re.compile(r"<p>Reply (\d+)</p>")


@pytest.fixture
def world() -> Fediverse:
    return make_world()


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


def path_of(uri: str) -> str:
    return "/" + uri.split("/", 3)[3]


def shown(page: str) -> list[int]:
    return [int(n) for n in _SHOWN.findall(page)]


async def test_a_note_page_shows_open_replies_and_hides_the_others(
    api, db, settings, world
) -> None:
    anna = await make_member(db, settings, "anna", name="Anna Lind")
    bo = await make_member(db, settings, "bo", name="Bo Berg")
    headers = await member_headers(db, anna)
    root = await post(api, headers, "anna", content="Vem kommer?")
    await remote_reply(db, settings, world, 1, root["uri"])
    await remote_reply(db, settings, world, 2, root["uri"], visibility="unlisted")
    await remote_reply(db, settings, world, 3, root["uri"], visibility="followers")
    await remote_reply(db, settings, world, 4, root["uri"], visibility="direct", to=[anna.uri])
    local = await post(api, await member_headers(db, bo), "bo", content="Jag <kommer>",
                       in_reply_to=root["uri"])  # fmt: skip

    page = await api.get(path_of(root["uri"]), headers=HTML)
    assert page.status_code == 200
    assert shown(page.text) == [1, 2]
    assert 'id="replies"' in page.text and "Alice Martin" in page.text
    assert "@alice@mastodon.example" in page.text
    assert 'href="https://mastodon.example/@alice/1"' in page.text
    assert 'datetime="2026-11-26T10:01:00Z"' in page.text
    assert "Bo Berg" in page.text and "Jag &lt;kommer&gt;" in page.text
    assert f'href="{local["uri"]}"' in page.text
    assert "More replies" not in page.text


async def test_fifty_replies_show_and_a_link_leads_to_the_rest(api, db, settings, world) -> None:
    anna = await make_member(db, settings, "anna")
    root = await post(api, await member_headers(db, anna), "anna", content="Många svar")
    for n in range(1, 53):
        await remote_reply(db, settings, world, n, root["uri"])
    first = await api.get(path_of(root["uri"]), headers=HTML)
    assert shown(first.text) == list(range(1, 51))
    [more] = re.findall(r'<a href="([^"]+)" rel="next">More replies</a>', first.text)
    assert more.startswith(root["uri"] + "?replies_after=")
    rest = await api.get(path_of(more.replace("&amp;", "&")), headers=HTML)
    assert rest.status_code == 200 and shown(rest.text) == [51, 52]
    assert "More replies" not in rest.text and "First replies" in rest.text
    ignored = await api.get(path_of(root["uri"]) + "?replies_after=x", headers=HTML)
    assert shown(ignored.text) == list(range(1, 51))


async def test_event_and_call_pages_show_their_replies(api, db, settings, world) -> None:
    async with db.session() as s, s.begin():
        await load_seed(s, datetime.now(UTC))
    anna = await make_member(db, settings, "anna")
    headers = await member_headers(db, anna)
    project = await make_project(db, settings, "Malmö Opera", "anna")
    start = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    event = await api.post(
        "/api/smart/v1/actors/anna/events", headers=headers,
        json={"name": "Jazzkväll", "content": "Kom!", "starts_at": start.isoformat(),
              "timezone": "Europe/Stockholm", "online_url": "https://meet.example/jazz"},
    )  # fmt: skip
    call = await api.post(f"/api/smart/v1/actors/{project.username}/calls", json=call_body(),
                          headers=headers)  # fmt: skip
    assert event.status_code == call.status_code == 201
    for number, parent in ((1, event.json()["uri"]), (2, call.json()["uri"])):
        await remote_reply(db, settings, world, number, parent)
        await remote_reply(db, settings, world, number + 10, parent, visibility="followers")
        page = await api.get(path_of(parent), headers=HTML)
        assert page.status_code == 200 and shown(page.text) == [number], parent
