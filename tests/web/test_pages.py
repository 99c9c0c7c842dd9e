"""Server-rendered pages: privacy by default, escaping, accessibility, packaging."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import pytest

import smartnode
from smartnode.actors.members import delete_actor
from smartnode.actors.records import find_local_actor
from smartnode.federation.uris import ActorKind
from tests.conftest import make_member, make_project

HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
REPO = Path(__file__).resolve().parents[2]


class Outline(HTMLParser):
    """Collects what accessibility checks need: lang, headings, images, links."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.h1 = 0
        self.images: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "img":
            self.images.append(found)
        elif tag == "a":
            self.links.append(found)
        elif tag == "script":
            self.scripts += 1


async def page(client, path: str, status: int = 200) -> tuple[str, Outline]:
    response = await client.get(path, headers={"Accept": HTML})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    outline = Outline()
    outline.feed(response.text)
    assert outline.lang == "en" and outline.h1 == 1 and outline.scripts == 0
    assert all(img.get("alt") for img in outline.images)
    return response.text, outline


async def arrange(db, settings) -> None:
    await make_member(
        db,
        settings,
        "anna",
        name="Anna Lindqvist",
        summary="<p>Ljud <b>design</b><script>alert(1)</script></p>",
        language="sv",
        country="SE",
        city="Malmö",
        languages=["sv", "en"],
        skills=["sound design"],
        links=[{"name": "Portfolio", "url": "https://anna.example/work"}],
        avatar_url="https://cdn.example/anna.png",
        discoverable=True,
        indexable=True,
    )
    await make_member(
        db, settings, "hidden", name="Hidden Person", skills=["sound design"], discoverable=False
    )
    await make_member(db, settings, "evil", name="<script>alert('x')</script>", discoverable=True)
    await make_project(
        db,
        settings,
        "Malmö Opera",
        coordinator="anna",
        sectors=["opera"],
        city="Malmö",
        country="SE",
        summary="<p>Nyuppsättning</p>",
    )


async def test_home_shows_node_projects_and_listed_members_only(client, db, settings) -> None:
    await arrange(db, settings)
    text, _ = await page(client, "/")
    assert "Smart Sverige" in text and settings.node_description in text
    assert "Malmö Opera" in text and "Anna Lindqvist" in text
    assert "Hidden Person" not in text and "/members/hidden" not in text


async def test_members_directory_lists_only_members_who_opted_in(client, db, settings) -> None:
    await arrange(db, settings)
    text, _ = await page(client, "/members")
    assert "Anna Lindqvist" in text and "@anna@se.smart.test" in text
    assert "Hidden Person" not in text and "/members/hidden" not in text
    # The unlisted member's actor is public, so their page at the actor URL still exists.
    profile, _ = await page(client, "/members/hidden")
    assert "Hidden Person" in profile
    assert '<meta name="robots" content="noindex, noarchive">' in profile


async def test_directory_pages_by_keyset(client, db, settings) -> None:
    await arrange(db, settings)
    text, _ = await page(client, "/members?after=0")
    assert "Anna Lindqvist" in text
    async with db.session() as s:
        anna = await find_local_actor(s, "anna")
        evil = await find_local_actor(s, "evil")
    assert anna is not None and evil is not None
    after, _ = await page(client, f"/members?after={anna.id}")
    assert "Anna Lindqvist" not in after and "/members/evil" in after
    bad = await client.get("/members?after=x", headers={"Accept": HTML})
    assert bad.status_code == 422


async def test_member_profile_shows_handle_bio_fields_and_me_links(client, db, settings) -> None:
    await arrange(db, settings)
    text, outline = await page(client, "/members/anna")
    assert "<h1" in text and "Anna Lindqvist" in text
    assert "@anna@se.smart.test" in text
    assert '<section class="bio" lang="sv"' in text
    assert "<p>Ljud <b>design</b></p>" in text  # sanitised bio kept as HTML
    assert "<script>" not in text
    assert "Malmö, Sweden" in text and "Swedish, English" in text
    assert ", SE<" not in text  # the country is named, never its code
    french = await client.get("/members/anna", headers={"Accept": HTML, "Accept-Language": "fr"})
    assert "Malmö, Suède" in french.text
    assert 'href="https://se.smart.test/tags/SoundDesign"' in text
    portfolio = [a for a in outline.links if a.get("href") == "https://anna.example/work"]
    assert portfolio and portfolio[0]["rel"] == "me nofollow noopener noreferrer"
    assert any(img.get("alt") == "Profile picture of Anna Lindqvist" for img in outline.images)
    assert 'href="https://se.smart.test/projects/malmo-opera"' in text
    assert (
        '<link rel="alternate" type="application/activity+json" '
        'href="https://se.smart.test/members/anna">'
    ) in text
    assert "noindex" not in text  # anna allowed indexing


async def test_text_from_the_database_is_escaped(client, db, settings) -> None:
    await arrange(db, settings)
    for path in ("/members/evil", "/members", "/"):
        text, _ = await page(client, path)
        assert "<script>alert('x')</script>" not in text, path
        assert "&lt;script&gt;alert(" in text, path


async def test_project_page_shows_team_roles_sectors_and_place(client, db, settings) -> None:
    await arrange(db, settings)
    text, _ = await page(client, "/projects/malmo-opera")
    assert "Malmö Opera" in text and "<p>Nyuppsättning</p>" in text
    assert "Malmö, Sweden" in text and 'href="https://se.smart.test/tags/Opera"' in text
    assert '<a href="https://se.smart.test/members/anna">Anna Lindqvist</a>' in text
    assert "<td>coordinator</td>" in text
    assert (
        '<link rel="alternate" type="application/activity+json" '
        'href="https://se.smart.test/projects/malmo-opera">'
    ) in text
    listing, _ = await page(client, "/projects")
    assert "Malmö Opera" in listing


@pytest.mark.parametrize("path", ["/about", "/actor"])
async def test_about_page_is_the_node_actors_url(client, path) -> None:
    actor = (await client.get("/actor", headers={"Accept": "application/activity+json"})).json()
    assert actor["url"] == "https://se.smart.test/about"
    text, _ = await page(client, path)
    assert "About Smart Sverige" in text
    assert "@se.smart.test@se.smart.test" in text
    assert 'href="https://se.smart.test/actor"' in text


async def test_tag_page_lists_listed_members_and_projects_with_that_hashtag(
    client, db, settings
) -> None:
    await arrange(db, settings)
    text, _ = await page(client, "/tags/SoundDesign")
    assert "#SoundDesign" in text and "Anna Lindqvist" in text
    assert "Hidden Person" not in text
    lower, _ = await page(client, "/tags/sounddesign")  # hashtags ignore case
    assert "Anna Lindqvist" in lower
    opera, _ = await page(client, "/tags/Opera")
    assert "Malmö Opera" in opera and "Anna Lindqvist" not in opera
    await page(client, "/tags/not-a-tag", status=404)


async def test_404_and_410_pages(client, db, settings) -> None:
    await arrange(db, settings)
    text, _ = await page(client, "/members/nobody", status=404)
    assert "Not found" in text
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "anna", datetime.now(UTC))
    text, _ = await page(client, "/members/anna", status=410)
    assert "Gone" in text and "Anna Lindqvist" not in text
    listing, _ = await page(client, "/members")
    assert "Anna Lindqvist" not in listing


async def test_stylesheet_is_served(client) -> None:
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "font" in response.text


def test_templates_and_static_files_are_packaged() -> None:
    """Every template and static file matches pyproject's package-data, so wheels carry them."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["smartnode"]
    package = Path(smartnode.__file__).parent
    files = [
        p.relative_to(package).as_posix()
        for folder in ("web/templates", "web/static")
        for p in (package / folder).iterdir()
        if p.is_file()
    ]
    assert any(f.endswith(".html") for f in files) and "web/static/style.css" in files
    for name in files:
        assert any(fnmatch(name, pattern) for pattern in patterns), name
