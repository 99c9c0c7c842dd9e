"""The /search page: results with escaped snippets, facet links, clear errors."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import make_member
from tests.content import make_post
from tests.matching.search_arrange import COMPOSE, publish_event, seven_members


async def test_the_page_shows_results_facets_and_escapes_everything(client, db, settings) -> None:
    members = await seven_members(db, settings)
    await make_member(db, settings, "evil", name="<script>alert(1)</script>", discoverable=True,
                      indexable=True, summary="Kompositör & <b>hacker</b>")  # fmt: skip
    response = await client.get("/search", params={"q": "kompositör"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f'href="{members["sv"].uri}"' in page and "Astrid Ljung" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>hacker" not in page and "&amp;" in page
    assert f"skill={quote(COMPOSE, safe='')}" in page and "compose music (1)" in page
    assert 'name="robots" content="noindex' in page


async def test_facet_links_narrow_and_opted_out_members_stay_out(client, db, settings) -> None:
    members = await seven_members(db, settings)
    await make_member(db, settings, "shy", name="Zorblax Shy", country="SE")
    page = (await client.get("/search", params={"country": "SE"})).text
    assert members["sv"].uri in page and members["fr"].uri not in page
    page = (await client.get("/search", params={"q": "Zorblax"})).text
    assert "0 results" in page and "/members/shy" not in page


async def test_bad_input_is_a_page_not_a_crash(client, db, settings) -> None:
    await seven_members(db, settings)
    response = await client.get("/search", params={"kind": "robot"})
    assert response.status_code == 422 and "kind" in response.text
    for q in ['"', "NEAR(", "*", "a AND OR", "<script>"]:
        assert (await client.get("/search", params={"q": q})).status_code == 200


async def test_events_and_posts_are_kinds_the_page_offers_and_names(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna", language="sv", indexable=True)
    post = await make_post(db, settings, anna, content="Zorblax på turné i vår.")
    event = await publish_event(db, settings, anna, content="Zorblax spelar på nyårsnatten.")
    both = (await client.get("/search", params={"q": "zorblax"})).text
    assert f'href="{post.uri}"' in both and f'href="{event.uri}"' in both
    assert '<option value="event">Event</option>' in both
    assert '<option value="post">Post</option>' in both
    for kind, shown, hidden in (("event", event, post), ("post", post, event)):
        response = await client.get("/search", params={"q": "zorblax", "kind": kind})
        assert response.status_code == 200
        assert f'href="{shown.uri}"' in response.text
        assert f'href="{hidden.uri}"' not in response.text
        assert f'<option value="{kind}" selected>' in response.text
    swedish = await client.get("/search", params={"q": "zorblax"},
                               headers={"Accept-Language": "sv"})  # fmt: skip
    text = swedish.text
    assert '<option value="event">Evenemang</option>' in text
    assert '<option value="post">Inlägg</option>' in text
    assert '<p class="handle">Evenemang · Sverige' in text
    assert '<p class="handle">Inlägg</p>' in text
    assert "Medlemmar, projekt, utlysningar, evenemang och inlägg" in text
