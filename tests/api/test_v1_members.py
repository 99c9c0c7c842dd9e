"""/api/smart/v1/members through HTTP, asserted on the wire and in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from smartnode.api.cache import CachedResponse
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile
from tests.api.test_v1_auth import admin_headers, count_actors
from tests.conftest import make_member, make_project

ANNA = {
    "username": "anna",
    "name": "Anna Lindqvist",
    "email": "anna@example.org",
    "summary": "<p>Sound designer in <b>Malmö</b></p><script>alert(1)</script>",
    "summary_map": {"en": "<p>Sound designer in Malmö</p>"},
    "language": "sv",
    "country": "se",
    "city": "Malmö",
    "languages": ["sv", "en"],
    "skills": ["sound design", "field recording"],
    "links": [{"name": "Portfolio", "url": "https://anna.example.org/"}],
    "discoverable": True,
}


async def test_member_create_read_list_change_delete(client, db, app) -> None:
    admin = await admin_headers(db)
    app.state.documents.put("actor:anna", CachedResponse(b"{}", "application/activity+json"))

    created = await client.post("/api/smart/v1/members", json=ANNA, headers=admin)
    assert created.status_code == 201
    assert created.headers["location"] == "https://se.smart.test/api/smart/v1/members/anna"
    body = created.json()
    assert body["handle"] == "@anna@se.smart.test"
    assert body["actor_uri"] == body["url"] == "https://se.smart.test/members/anna"
    assert body["email"] == "anna@example.org" and body["country"] == "SE"
    assert "<script>" not in body["summary"] and "<b>Malmö</b>" in body["summary"]
    assert list(body["summary_map"]) == ["sv", "en"]
    assert body["links"] == [{"name": "Portfolio", "url": "https://anna.example.org/"}]
    assert app.state.documents.get("actor:anna") is None  # cached documents refreshed

    public = await client.get("/api/smart/v1/members/anna")
    assert public.status_code == 200
    assert "email" not in public.json()
    assert {k: v for k, v in body.items() if k != "email"} == public.json()

    listed = (await client.get("/api/smart/v1/members")).json()
    assert [m["username"] for m in listed["items"]] == ["anna"] and listed["next"] is None

    changed = await client.patch(
        "/api/smart/v1/members/anna",
        json={"name": "Anna L.", "skills": ["mixing"], "city": "Lund"},
        headers=admin,
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Anna L." and changed.json()["skills"] == ["mixing"]
    async with db.session() as s:
        actor = await s.scalar(select(Actor).where(Actor.username == "anna"))
        assert actor is not None and actor.name == "Anna L."
        profile = await s.get(MemberProfile, actor.id)
        assert profile is not None
        assert (profile.skills, profile.city, profile.languages) == (
            ["mixing"],
            "Lund",
            ["sv", "en"],
        )

    deleted = await client.delete("/api/smart/v1/members/anna", headers=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    async with db.session() as s:
        assert await s.scalar(select(Actor.deleted_at).where(Actor.username == "anna"))
    gone = await client.get("/api/smart/v1/members/anna")
    assert gone.status_code == 410 and gone.json()["code"] == "gone"
    assert (await client.get("/api/smart/v1/members", headers=admin)).json()["items"] == []
    again = await client.patch("/api/smart/v1/members/anna", json={"name": "X"}, headers=admin)
    assert again.status_code == 410
    assert (await client.delete("/api/smart/v1/members/anna", headers=admin)).status_code == 410


async def test_deleted_username_is_not_reused(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    admin = await admin_headers(db)
    assert (await client.delete("/api/smart/v1/members/anna", headers=admin)).status_code == 204
    again = await client.post("/api/smart/v1/members", json=ANNA, headers=admin)
    assert again.status_code == 409
    assert await count_actors(db, "member") == 1


async def test_unknown_member_is_404(client) -> None:
    response = await client.get("/api/smart/v1/members/nobody")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no member named 'nobody' on this node",
        "code": "not_found",
    }


async def test_non_discoverable_member_is_listed_only_for_admin(client, db, settings) -> None:
    await make_member(db, settings, "anna", discoverable=True, email="anna@example.org")
    await make_member(db, settings, "bo", email="bo@example.org")  # private by default
    anonymous = await client.get("/api/smart/v1/members")
    assert [m["username"] for m in anonymous.json()["items"]] == ["anna"]
    assert "email" not in anonymous.json()["items"][0]
    assert "anna@example.org" not in anonymous.text

    admin = await client.get("/api/smart/v1/members", headers=await admin_headers(db))
    items = admin.json()["items"]
    assert [(m["username"], m["email"]) for m in items] == [
        ("anna", "anna@example.org"),
        ("bo", "bo@example.org"),
    ]


async def test_profile_of_unlisted_member_is_public_but_email_is_not(client, db, settings) -> None:
    await make_member(db, settings, "bo", email="bo@example.org")
    response = await client.get("/api/smart/v1/members/bo")
    assert response.status_code == 200
    assert response.json()["discoverable"] is False
    assert "email" not in response.json() and "bo@example.org" not in response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "Anna Svensson"}, "username"),
        ({"username": "admin"}, "username"),
        ({"country": "Sweden"}, "country"),
        ({"skills": [f"skill {i}" for i in range(51)]}, "skills"),
        ({"favourite_colour": "green"}, "favourite_colour"),
        ({"links": [{"name": "Site", "url": "not a url"}]}, "links"),
        ({"email": "anna at example"}, "email"),
        ({"name": ""}, "name"),
    ],
)
async def test_invalid_member_is_422_naming_the_field_and_stores_nothing(
    client, db, change, field
) -> None:
    body = {"username": "anna", "name": "Anna", **change}
    response = await client.post(
        "/api/smart/v1/members", json=body, headers=await admin_headers(db)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert field in response.json()["error"]
    assert await count_actors(db, "member") == 0


async def test_invalid_change_is_422_and_changes_nothing(client, db, settings) -> None:
    await make_member(db, settings, "anna", country="SE")
    admin = await admin_headers(db)
    response = await client.patch(
        "/api/smart/v1/members/anna", json={"country": "Sweden", "name": "New"}, headers=admin
    )
    assert response.status_code == 422 and "country" in response.json()["error"]
    async with db.session() as s:
        actor = await s.scalar(select(Actor).where(Actor.username == "anna"))
        assert actor is not None and actor.name == "Anna"


async def test_taken_username_is_409(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Opera", coordinator="anna")
    admin = await admin_headers(db)
    for username in ("anna", "opera", "ANNA"):
        response = await client.post(
            "/api/smart/v1/members", json={"username": username, "name": "X"}, headers=admin
        )
        assert response.status_code == 409, username
        assert response.json()["code"] == "conflict" and "taken" in response.json()["error"]
    assert await count_actors(db, "member") == 1


async def test_paging_walks_three_pages_without_duplicates(client, db, settings) -> None:
    names = [f"member{i}" for i in range(7)]
    for name in names:
        await make_member(db, settings, name, discoverable=True)
    await make_member(db, settings, "hidden")  # not discoverable: never in anonymous pages
    seen: list[str] = []
    url: str | None = "/api/smart/v1/members?limit=3"
    sizes = []
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        page = response.json()
        sizes.append(len(page["items"]))
        seen.extend(m["username"] for m in page["items"])
        url = page["next"]
        assert url is None or url.startswith(
            "https://se.smart.test/api/smart/v1/members?limit=3&after="
        )
    assert sizes == [3, 3, 1]
    assert seen == names


async def test_page_that_ends_exactly_has_no_next(client, db, settings) -> None:
    for name in ("a1", "a2"):
        await make_member(db, settings, name, discoverable=True)
    page = (await client.get("/api/smart/v1/members?limit=2")).json()
    assert len(page["items"]) == 2 and page["next"] is None


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "limit=0", "limit=101"])
async def test_bad_paging_parameters_are_422(client, query) -> None:
    response = await client.get(f"/api/smart/v1/members?{query}")
    assert response.status_code == 422
    assert query.split("=")[0] in response.json()["error"]


async def test_only_coordinator_cannot_be_deleted(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Malmö Opera", coordinator="anna")
    response = await client.delete("/api/smart/v1/members/anna", headers=await admin_headers(db))
    assert response.status_code == 409
    assert "malmo-opera" in response.json()["error"]
    async with db.session() as s:
        assert await s.scalar(select(Actor.deleted_at).where(Actor.username == "anna")) is None
        live = await s.scalar(
            select(func.count()).select_from(Actor).where(Actor.deleted_at.is_(None))
        )
        assert live == 3  # node, anna, the project
