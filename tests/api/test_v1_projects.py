"""/api/smart/v1/projects and project teams through HTTP, asserted on the wire and in the
database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartnode import __version__
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import Project, ProjectMember
from tests.api.test_v1_auth import admin_headers, count_actors
from tests.conftest import make_member, make_project

OPERA = {
    "name": "Malmö Opera 2027",
    "coordinator": "anna",
    "summary": "<p>A new opera</p>",
    "country": "se",
    "city": "Malmö",
    "sectors": ["opera", "music"],
    "website": "https://opera.example.org/",
}


async def roles(db: Database, slug: str) -> dict[str, str]:
    """The team of a project as {username: role}, read from the database."""
    async with db.session() as s:
        project_id = await s.scalar(select(Actor.id).where(Actor.username == slug))
        rows = await s.execute(
            select(Actor.username, ProjectMember.role)
            .join(ProjectMember, ProjectMember.member_id == Actor.id)
            .where(ProjectMember.project_id == project_id)
        )
        return {username: role for username, role in rows.all()}


async def test_project_create_read_list_delete(client, db, settings) -> None:
    await make_member(db, settings, "anna", name="Anna Lindqvist")
    admin = await admin_headers(db)

    created = await client.post("/api/smart/v1/projects", json=OPERA, headers=admin)
    assert created.status_code == 201
    assert (
        created.headers["location"]
        == "https://se.smart.test/api/smart/v1/projects/malmo-opera-2027"
    )
    body = created.json()
    assert (
        body["slug"] == "malmo-opera-2027" and body["handle"] == "@malmo-opera-2027@se.smart.test"
    )
    assert body["actor_uri"] == "https://se.smart.test/projects/malmo-opera-2027"
    assert (body["country"], body["sectors"]) == ("SE", ["opera", "music"])
    assert [(t["username"], t["role"]) for t in body["team"]] == [("anna", "coordinator")]
    async with db.session() as s:
        project = await s.scalar(
            select(Project)
            .join(Actor, Actor.id == Project.actor_id)
            .where(Actor.username == "malmo-opera-2027")
        )
        assert project is not None and project.website == "https://opera.example.org/"
    assert await roles(db, "malmo-opera-2027") == {"anna": "coordinator"}

    read = await client.get("/api/smart/v1/projects/malmo-opera-2027")
    assert read.status_code == 200 and read.json() == body
    assert read.json()["team"][0] | {"joined_at": None} == {
        "username": "anna",
        "handle": "@anna@se.smart.test",
        "actor_uri": "https://se.smart.test/members/anna",
        "name": "Anna Lindqvist",
        "role": "coordinator",
        "joined_at": None,
    }
    listed = (await client.get("/api/smart/v1/projects")).json()
    assert [p["slug"] for p in listed["items"]] == ["malmo-opera-2027"]
    assert "team" not in listed["items"][0]

    deleted = await client.delete("/api/smart/v1/projects/malmo-opera-2027", headers=admin)
    assert deleted.status_code == 204
    assert (await client.get("/api/smart/v1/projects/malmo-opera-2027")).status_code == 410
    assert (await client.get("/api/smart/v1/projects")).json()["items"] == []
    async with db.session() as s:
        assert await s.scalar(select(Actor.deleted_at).where(Actor.username == "malmo-opera-2027"))


async def test_project_writes_need_an_admin_token(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    response = await client.post("/api/smart/v1/projects", json=OPERA)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    await make_project(db, settings, "Opera", coordinator="anna")
    for method, url, body in (
        ("DELETE", "/api/smart/v1/projects/opera", None),
        ("PUT", "/api/smart/v1/projects/opera/team/anna", {"role": "member"}),
        ("DELETE", "/api/smart/v1/projects/opera/team/anna", None),
    ):
        response = await client.request(method, url, json=body)
        assert response.status_code == 401, (method, url)
    assert await count_actors(db, "project") == 1
    assert await roles(db, "opera") == {"anna": "coordinator"}


async def test_unknown_coordinator_is_422_and_stores_nothing(client, db) -> None:
    response = await client.post(
        "/api/smart/v1/projects",
        json=OPERA | {"coordinator": "nobody"},
        headers=await admin_headers(db),
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("coordinator:")
    assert await count_actors(db, "project") == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Malmö Opera"}, "slug"),
        ({"slug": "admin"}, "slug"),
        ({"country": "Sweden"}, "country"),
        ({"sectors": [f"s{i}" for i in range(11)]}, "sectors"),
        ({"budget": 1000}, "budget"),
        ({"website": "opera dot com"}, "website"),
    ],
)
async def test_invalid_project_is_422_naming_the_field(client, db, settings, change, field) -> None:
    await make_member(db, settings, "anna")
    response = await client.post(
        "/api/smart/v1/projects", json=OPERA | change, headers=await admin_headers(db)
    )
    assert response.status_code == 422 and field in response.json()["error"]
    assert await count_actors(db, "project") == 0


async def test_taken_slug_is_409(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Malmö Opera 2027", coordinator="anna")
    admin = await admin_headers(db)
    for body in (OPERA, OPERA | {"name": "Other", "slug": "anna"}):
        response = await client.post("/api/smart/v1/projects", json=body, headers=admin)
        assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert await count_actors(db, "project") == 1


async def test_team_members_are_added_changed_and_removed(client, db, settings, app) -> None:
    for name in ("anna", "bo", "cleo"):
        await make_member(db, settings, name)
    await make_project(db, settings, "Opera", coordinator="anna")
    admin = await admin_headers(db)

    added = await client.put(
        "/api/smart/v1/projects/opera/team/bo", json={"role": "guest"}, headers=admin
    )
    assert added.status_code == 201
    assert (added.json()["username"], added.json()["role"]) == ("bo", "guest")
    changed = await client.put(
        "/api/smart/v1/projects/opera/team/bo", json={"role": "member"}, headers=admin
    )
    assert changed.status_code == 200 and changed.json()["role"] == "member"
    await client.put(
        "/api/smart/v1/projects/opera/team/cleo", json={"role": "coordinator"}, headers=admin
    )
    assert await roles(db, "opera") == {
        "anna": "coordinator",
        "bo": "member",
        "cleo": "coordinator",
    }

    team = (await client.get("/api/smart/v1/projects/opera")).json()["team"]
    assert [(t["username"], t["role"]) for t in team] == [
        ("anna", "coordinator"),
        ("cleo", "coordinator"),
        ("bo", "member"),
    ]
    removed = await client.delete("/api/smart/v1/projects/opera/team/bo", headers=admin)
    assert removed.status_code == 204
    assert await roles(db, "opera") == {"anna": "coordinator", "cleo": "coordinator"}
    missing = await client.delete("/api/smart/v1/projects/opera/team/bo", headers=admin)
    assert missing.status_code == 404 and "not in the team" in missing.json()["error"]


async def test_last_coordinator_cannot_leave_or_step_down(client, db, settings) -> None:
    for name in ("anna", "bo"):
        await make_member(db, settings, name)
    await make_project(db, settings, "Opera", coordinator="anna")
    admin = await admin_headers(db)
    await client.put("/api/smart/v1/projects/opera/team/bo", json={"role": "member"}, headers=admin)

    removed = await client.delete("/api/smart/v1/projects/opera/team/anna", headers=admin)
    assert removed.status_code == 409 and "at least one coordinator" in removed.json()["error"]
    demoted = await client.put(
        "/api/smart/v1/projects/opera/team/anna", json={"role": "member"}, headers=admin
    )
    assert demoted.status_code == 409
    assert await roles(db, "opera") == {"anna": "coordinator", "bo": "member"}

    await client.put(
        "/api/smart/v1/projects/opera/team/bo", json={"role": "coordinator"}, headers=admin
    )
    handed_over = await client.delete("/api/smart/v1/projects/opera/team/anna", headers=admin)
    assert handed_over.status_code == 204
    assert await roles(db, "opera") == {"bo": "coordinator"}


async def test_team_role_must_be_known(client, db, settings) -> None:
    for name in ("anna", "bo"):
        await make_member(db, settings, name)
    await make_project(db, settings, "Opera", coordinator="anna")
    admin = await admin_headers(db)
    for body in ({"role": "boss"}, {}, {"role": "member", "extra": 1}):
        response = await client.put(
            "/api/smart/v1/projects/opera/team/bo", json=body, headers=admin
        )
        assert response.status_code == 422, body
    unknown = await client.put(
        "/api/smart/v1/projects/opera/team/nobody", json={"role": "member"}, headers=admin
    )
    assert unknown.status_code == 404
    assert await roles(db, "opera") == {"anna": "coordinator"}


async def test_project_paging_walks_three_pages(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    names = [f"project-{i}" for i in range(5)]
    for name in names:
        await make_project(db, settings, name, coordinator="anna")
    seen, url = [], "/api/smart/v1/projects?limit=2"
    while url:
        page = (await client.get(url)).json()
        seen.append([p["slug"] for p in page["items"]])
        url = page["next"]
    assert seen == [names[0:2], names[2:4], names[4:5]]


async def test_node_describes_itself_with_live_counts(client, db, settings) -> None:
    for name in ("anna", "bo"):
        await make_member(db, settings, name)
    await make_project(db, settings, "Opera", coordinator="anna")
    await client.delete("/api/smart/v1/members/bo", headers=await admin_headers(db))
    response = await client.get("/api/smart/v1/node")
    assert response.status_code == 200
    assert response.json() == {
        "name": "Smart Sverige",
        "description": "A national node of the Smart cooperative.",
        "descriptions": {"en": "A national node of the Smart cooperative."},
        "domain": "se.smart.test",
        "base_url": "https://se.smart.test",
        "actor_uri": "https://se.smart.test/actor",
        "country": "SE",
        "software": {"name": "smartnode", "version": __version__},
        "counts": {"members": 1, "projects": 1},
    }
