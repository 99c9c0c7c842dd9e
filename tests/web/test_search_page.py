"""The /search page: results with escaped snippets, facet links, clear errors."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import make_member
from tests.matching.search_arrange import COMPOSE, seven_members


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
