"""What members now do themselves through the API: their profile and matching profile, their
projects and teams, their posts; each change federates as the admin's always did. Asserted on
the wire, in the database and in the outbox."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from smartnode.accounts.tokens import hash_token
from smartnode.actors.projects import Role, add_to_team
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Actor, ContentObject
from smartnode.storage.models_accounts import ApiToken, OAuthClient
from smartnode.storage.models_matching import MemberAvailability, MemberLanguage
from smartnode.storage.models_profiles import MemberProfile, Project, ProjectMember
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, make_project
from tests.content import member_headers


async def app_headers(db: Database, member: Actor, scopes: str) -> dict[str, str]:
    """An OAuth access token of a registered app acting for `member` within `scopes`."""
    token, now = secrets.token_urlsafe(32), datetime.now(UTC)
    async with db.session() as s, s.begin():
        client = OAuthClient(client_id=secrets.token_urlsafe(16), secret_hash=None, name="Tusky",
                             website=None, redirect_uris=["urn:ietf:wg:oauth:2.0:oob"],
                             scopes=scopes, created_at=now)  # fmt: skip
        s.add(client)
        await s.flush()
        s.add(ApiToken(token_hash=hash_token(token), label=f"oauth app {client.id}", scope="app",
                       actor_id=member.id, client_id=client.id, scopes=scopes,
                       created_at=now))  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


async def sent(db: Database, kind: str) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Activity).where(Activity.activity_type == kind).order_by(Activity.id)
        )
        return [a.document for a in rows.all()]


async def test_a_member_edits_their_own_profile_and_followers_get_the_update(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna", skills=["mixing"])
    bo = await make_member(db, settings, "bo")
    change = {"name": "Anna L.", "skills": ["sound design"], "languages": ["sv", "en"],
              "discoverable": True, "hide_network": True}  # fmt: skip
    refused = await client.patch("/api/smart/v1/members/anna", json={"name": "X"},
                                 headers=await member_headers(db, bo))  # fmt: skip
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (await client.patch("/api/smart/v1/members/anna", json={"name": "X"})).status_code == 401
    assert await sent(db, "Update") == []

    own = await client.patch("/api/smart/v1/members/anna", json=change,
                             headers=await member_headers(db, anna))  # fmt: skip
    assert own.status_code == 200, own.text
    assert (own.json()["name"], own.json()["email"]) == ("Anna L.", None)
    async with db.session() as s:
        actor = await s.get(Actor, anna.id)
        profile = await s.get(MemberProfile, anna.id)
    assert actor is not None and (actor.name, actor.discoverable, actor.hide_network) == (
        "Anna L.", True, True
    )  # fmt: skip
    assert profile is not None and (profile.skills, profile.languages) == (
        ["sound design"], ["sv", "en"]
    )  # fmt: skip
    [update] = await sent(db, "Update")
    assert update["actor"] == anna.uri and update["object"]["name"] == "Anna L."


async def test_an_app_edits_the_profile_only_with_write_accounts(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna", email="anna@example.org")
    reader = await app_headers(db, anna, "read")
    writer = await app_headers(db, anna, "read write:accounts")
    refused = await client.patch(
        "/api/smart/v1/members/anna", json={"city": "Lund"}, headers=reader
    )
    assert refused.status_code == 403 and "write:accounts" in refused.json()["error"]
    done = await client.patch("/api/smart/v1/members/anna", json={"city": "Lund"}, headers=writer)
    assert done.status_code == 200 and done.json()["city"] == "Lund"
    mine = await client.get("/api/smart/v1/members/anna", headers=reader)
    assert mine.json()["email"] == "anna@example.org"  # their own, with `read`
    assert "email" not in (await client.get("/api/smart/v1/members/anna")).json()


async def test_a_member_changes_parts_of_their_matching_profile(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    headers = await member_headers(db, anna)
    whole = {"languages": [{"language": "sv", "level": "native"}], "remote_ok": True,
             "availability": [{"starts_on": "2027-03-01", "ends_on": "2027-03-10"}],
             "opt_ins": {"listed": True}}  # fmt: skip
    url = "/api/smart/v1/members/anna/matching-profile"
    assert (await client.put(url, json=whole, headers=headers)).status_code == 200
    windows = [{"starts_on": "2027-05-01", "ends_on": "2027-05-31"}]
    patched = await client.patch(url, json={"availability": windows}, headers=headers)
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["availability"] == windows and body["remote_ok"] is True
    assert body["languages"] == [{"language": "sv", "level": "native"}]
    assert body["opt_ins"]["listed"] is True
    async with db.session() as s:
        starts = (await s.scalars(select(MemberAvailability.starts_on))).all()
        languages = (await s.scalars(select(MemberLanguage.language))).all()
        listed = await s.scalar(select(Actor.discoverable).where(Actor.id == anna.id))
    assert [d.isoformat() for d in starts] == ["2027-05-01"] and languages == ["sv"] and listed
    bad = await client.patch(url, json={"availability": [{"starts_on": "2027-05-02",
                                                           "ends_on": "2027-05-01"}]},
                             headers=headers)  # fmt: skip
    assert bad.status_code == 422
    assert len(await sent(db, "Update")) == 2


async def test_a_member_creates_a_project_and_coordinates_it(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    headers = await member_headers(db, anna)
    created = await client.post("/api/smart/v1/projects", json={"name": "Malmö Opera"},
                                headers=headers)  # fmt: skip
    assert created.status_code == 201, created.text
    assert [(t["username"], t["role"]) for t in created.json()["team"]] == [("anna", "coordinator")]
    await make_member(db, settings, "bo")
    for_other = await client.post("/api/smart/v1/projects", json={"name": "X", "coordinator": "bo"},
                                  headers=headers)  # fmt: skip
    assert for_other.status_code == 403
    admin = await client.post("/api/smart/v1/projects", json={"name": "Y"},
                              headers=await admin_headers(db))  # fmt: skip
    assert admin.status_code == 422 and admin.json()["error"].startswith("coordinator:")
    async with db.session() as s:
        slugs = (await s.scalars(select(Actor.username).where(Actor.kind == "project"))).all()
    assert slugs == ["malmo-opera"]


async def test_coordinators_edit_a_project_and_its_followers_get_the_update(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    dag = await make_member(db, settings, "dag")
    project = await make_project(db, settings, "Opera", "anna", slug="opera")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, dag, Role.MEMBER, datetime.now(UTC))
    change = {"name": "Opera 2027", "sectors": ["music"], "website": "https://opera.example/",
              "summary": "<p>Carmen</p>", "city": "Malmö"}  # fmt: skip
    plain = await client.patch("/api/smart/v1/projects/opera", json=change,
                               headers=await member_headers(db, dag))  # fmt: skip
    assert plain.status_code == 403
    edited = await client.patch("/api/smart/v1/projects/opera", json=change,
                                headers=await member_headers(db, anna))  # fmt: skip
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["name"], body["sectors"], body["city"]) == ("Opera 2027", ["music"], "Malmö")
    async with db.session() as s:
        row = await s.get(Project, project.id)
        actor = await s.get(Actor, project.id)
    assert row is not None and row.website == "https://opera.example/"
    assert actor is not None and actor.summary == "<p>Carmen</p>" and actor.username == "opera"
    [update] = await sent(db, "Update")
    assert update["actor"] == project.uri and update["object"]["name"] == "Opera 2027"
    slug = await client.patch("/api/smart/v1/projects/opera", json={"slug": "other"},
                              headers=await member_headers(db, anna))  # fmt: skip
    assert slug.status_code == 422


async def test_coordinators_add_change_and_remove_team_members_and_it_federates(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    project = await make_project(db, settings, "Opera", "anna", slug="opera")
    headers = await member_headers(db, anna)
    outsider = await client.put("/api/smart/v1/projects/opera/team/anna", json={"role": "member"},
                                headers=await member_headers(db, bo))  # fmt: skip
    assert outsider.status_code == 403
    added = await client.put("/api/smart/v1/projects/opera/team/bo", json={"role": "guest"},
                             headers=headers)  # fmt: skip
    assert added.status_code == 201
    changed = await client.put("/api/smart/v1/projects/opera/team/bo", json={"role": "coordinator"},
                               headers=headers)  # fmt: skip
    assert changed.status_code == 200
    removed = await client.delete("/api/smart/v1/projects/opera/team/bo", headers=headers)
    assert removed.status_code == 204
    assert [(a["object"], a["smartRole"]) for a in await sent(db, "Add")] == [
        (bo.uri, "guest"), (bo.uri, "coordinator")
    ]  # fmt: skip
    [remove] = await sent(db, "Remove")
    assert remove["actor"] == project.uri and remove["object"] == bo.uri
    async with db.session() as s:
        team = (await s.scalars(select(ProjectMember.member_id))).all()
    assert team == [anna.id]


async def test_everyone_deletes_their_own_posts_and_admins_any(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    anna_headers = await member_headers(db, anna)
    ids = []
    for text in ("one", "two"):
        posted = await client.post("/api/smart/v1/actors/anna/posts", json={"content": text},
                                   headers=anna_headers)  # fmt: skip
        ids.append(posted.json()["id"])
    other = await client.delete(
        f"/api/smart/v1/posts/{ids[0]}", headers=await member_headers(db, bo)
    )
    assert other.status_code == 403
    own = await client.delete(f"/api/smart/v1/posts/{ids[0]}", headers=anna_headers)
    assert own.status_code == 204
    admin = await client.delete(f"/api/smart/v1/posts/{ids[1]}", headers=await admin_headers(db))
    assert admin.status_code == 204
    async with db.session() as s:
        live = await s.scalars(select(ContentObject).where(ContentObject.deleted_at.is_(None)))
        assert live.all() == []
    assert len(await sent(db, "Delete")) == 2
    edit = await client.patch(f"/api/smart/v1/posts/{ids[1]}", json={"content": "x"},
                              headers=await admin_headers(db, "again"))  # fmt: skip
    assert edit.status_code == 403  # an admin edits nobody's words (but may speak as them)
