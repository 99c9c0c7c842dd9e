"""Starting and editing a project in the browser: the member who starts it coordinates it, only
coordinators edit it (each edit goes out as Update{Group}), and the project's page shows Edit,
Team and Publish a call to them alone, Join or Leave to other members."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.projects import team_row
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import Project
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import activities, node_client
from tests.inbox import Fediverse

HTML = {"Accept": "text/html"}


@pytest.fixture
async def browser(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


async def _project(db, slug: str) -> tuple[Actor, Project] | None:
    async with db.session() as s:
        actor = await s.scalar(select(Actor).where(Actor.username == slug))
        if actor is None:
            return None
        project = await s.get(Project, actor.id)
        assert project is not None
        return actor, project


async def test_a_member_starts_a_project_and_coordinates_it(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    form = await browser.get("/new/project")
    assert form.status_code == 200 and 'action="/new/project"' in form.text
    response = await browser.post("/new/project", data={
        **hidden_fields(form.text), "name": "Malmö Opera", "language": "sv",
        "summary": "Vi spelar <opera>.\n\nVarje sommar.", "summary_en": "We play opera.",
        "country": "SE", "city": "Malmö", "sectors": "music, theatre",
        "website": "https://opera.example",
    })  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/projects/malmo-opera?done=created"
    actor, project = await _project(db, "malmo-opera")
    assert (actor.name, actor.language, project.country, project.city) == (
        "Malmö Opera", "sv", "SE", "Malmö")  # fmt: skip
    assert "&lt;opera&gt;" in actor.summary and actor.summary_map["en"] == "<p>We play opera.</p>"
    assert project.sectors == ["music", "theatre"]
    async with db.session() as s:
        row = await team_row(s, actor, anna)
        assert row is not None and row.role == "coordinator"
    page = await browser.get("/projects/malmo-opera?done=created", headers=HTML)
    assert "Your project was started" in page.text
    for link in ("/projects/malmo-opera/edit", "/projects/malmo-opera/team",
                 "/projects/malmo-opera/calls/new"):  # fmt: skip
        assert f'href="{link}"' in page.text
    assert 'action="/projects/malmo-opera/join"' not in page.text  # in the team already
    assert 'action="/projects/malmo-opera/leave"' in page.text


async def test_bad_fields_come_back_with_errors_and_nothing_is_made(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    form = await browser.get("/new/project")
    response = await browser.post("/new/project", data={
        **hidden_fields(form.text), "name": "", "website": "not a site", "summary": "Kept",
    })  # fmt: skip
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and 'href="#f-name"' in response.text
    assert 'href="#f-website"' in response.text and ">Kept</textarea>" in response.text
    assert 'aria-invalid="true"' in response.text
    async with db.session() as s:
        assert await s.scalar(select(Project.actor_id)) is None


async def test_a_taken_address_is_refused_on_its_field(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await make_project(db, settings, "Jazz", "anna")
    await sign_in(browser, "anna")
    form = await browser.get("/new/project")
    response = await browser.post("/new/project", data={**hidden_fields(form.text),
                                                        "name": "Jazz"})  # fmt: skip
    assert response.status_code == 422 and 'href="#f-slug"' in response.text


async def test_a_coordinator_edits_the_project_and_its_followers_get_the_update(
    browser, db, settings
) -> None:
    await member_with_password(db, settings, "anna")
    await make_project(db, settings, "Jazz", "anna", summary="<p>Old</p>", country="SE")
    await sign_in(browser, "anna")
    form = await browser.get("/projects/jazz/edit")
    assert form.status_code == 200 and ">Old</textarea>" in form.text
    assert '<option value="SE" selected>' in form.text
    fields = {**hidden_fields(form.text), "name": "Jazz Band", "language": "en",
              "summary": "New text", "summary_fr": "Texte", "country": "SE", "city": "Lund",
              "sectors": "music", "website": ""}  # fmt: skip
    response = await browser.post("/projects/jazz/edit", data=fields)
    assert response.status_code == 303
    assert response.headers["location"] == "/projects/jazz?done=saved"
    actor, project = await _project(db, "jazz")
    assert actor.name == "Jazz Band" and project.city == "Lund"
    assert actor.summary_map == {"en": "<p>New text</p>", "fr": "<p>Texte</p>"}
    [update] = await activities(db, "Update")
    assert update.document["object"]["type"] == "Group"


async def test_others_may_not_edit_and_see_no_buttons(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "bo")
    await make_project(db, settings, "Jazz", "anna")
    assert (await browser.get("/projects/jazz/edit")).status_code == 303  # sign in first
    page = await browser.get("/projects/jazz", headers=HTML)
    assert "/projects/jazz/edit" not in page.text and "/projects/jazz/join" not in page.text
    await sign_in(browser, "bo")
    assert (await browser.get("/projects/jazz/edit")).status_code == 403
    page = await browser.get("/projects/jazz", headers=HTML)
    assert "/projects/jazz/edit" not in page.text and "/projects/jazz/team" not in page.text
    assert 'action="/projects/jazz/join"' in page.text
    fields = {**hidden_fields(page.text), "name": "Mine now"}
    response = await browser.post("/projects/jazz/edit", data=fields)
    assert response.status_code == 403 and "Only the project" in response.text
    actor, _ = await _project(db, "jazz")
    assert actor.name == "Jazz" and await activities(db, "Update") == []
    assert (await browser.get("/projects/nothing/edit")).status_code == 404


async def test_without_the_csrf_token_no_project_is_made(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    response = await browser.post("/new/project", data={"name": "Jazz"})
    assert response.status_code == 403
    async with db.session() as s:
        assert await s.scalar(select(Project.actor_id)) is None


async def test_a_visitor_is_sent_to_sign_in(browser) -> None:
    response = await browser.get("/new/project")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_the_form_is_in_the_members_language(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    form = await browser.get("/new/project", headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in form.text and "Suède" in form.text


async def test_members_find_the_way_to_start_a_project(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    assert 'href="/new/project"' not in (await browser.get("/projects")).text
    await sign_in(browser, "anna")
    assert 'href="/new/project"' in (await browser.get("/projects")).text
    account = (await browser.get("/account")).text
    assert 'href="/new/project"' in account and 'href="/team-invitations"' in account
