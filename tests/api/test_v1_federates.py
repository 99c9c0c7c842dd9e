"""Profile changes and deletions through the API reach remote followers (Update / Delete)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.outbox.fanout import expand
from smartnode.storage.models import Activity, Delivery, Follow, Job
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, make_project
from tests.outbox.test_publish_and_fanout import remote_actor

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def _remote_follower(db, followed_id: int) -> None:
    bob = remote_actor("https://m.example/users/bob", "https://m.example/users/bob/inbox",
                       "https://m.example/inbox")  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(bob)
        await s.flush()
        s.add(Follow(follower_id=bob.id, followed_id=followed_id, state="accepted", created_at=NOW))


async def _deliveries(db, settings, activity: Activity) -> list[str]:
    async with db.session() as s, s.begin():
        await expand(s, node_uris(settings), activity.id, NOW)
    async with db.session() as s:
        rows = await s.scalars(select(Delivery).where(Delivery.activity_id == activity.id))
        return [row.inbox_uri for row in rows.all()]


async def test_profile_change_sends_update_with_the_new_profile(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    await _remote_follower(db, anna.id)
    response = await client.patch(
        "/api/smart/v1/members/anna", json={"name": "Anna L.", "skills": ["mixing"]},
        headers=await admin_headers(db),
    )  # fmt: skip
    assert response.status_code == 200
    async with db.session() as s:
        update = await s.scalar(select(Activity).where(Activity.activity_type == "Update"))
        jobs = (await s.scalars(select(Job))).all()
    assert update is not None and update.actor_id == anna.id and update.public
    document = update.document
    assert document["object"]["id"] == anna.uri and document["object"]["name"] == "Anna L."
    assert document["object"]["tag"][0]["name"] == "#Mixing"
    assert "toot" in str(document["@context"])  # extension terms of the embedded actor
    assert document["cc"] == [f"{anna.uri}/followers"]
    assert len(jobs) == 1
    assert await _deliveries(db, settings, update) == ["https://m.example/inbox"]


async def test_failed_change_sends_nothing(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    response = await client.patch(
        "/api/smart/v1/members/anna", json={"country": "Sweden"}, headers=await admin_headers(db)
    )
    assert response.status_code == 422
    async with db.session() as s:
        assert (await s.scalars(select(Activity))).all() == []
        assert (await s.scalars(select(Job))).all() == []


async def test_deleting_a_member_or_project_sends_delete(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    erik = await make_member(db, settings, "erik")
    project = await make_project(db, settings, "Malmö Opera", coordinator="anna")
    await _remote_follower(db, erik.id)
    admin = await admin_headers(db)
    assert (await client.delete("/api/smart/v1/members/erik", headers=admin)).status_code == 204
    assert (
        await client.delete(f"/api/smart/v1/projects/{project.username}", headers=admin)
    ).status_code == 204
    async with db.session() as s:
        deletes = (
            await s.scalars(select(Activity).where(Activity.activity_type == "Delete"))
        ).all()
    assert sorted(d.object_uri or "" for d in deletes) == sorted([erik.uri, project.uri])
    erik_delete = next(d for d in deletes if d.object_uri == erik.uri)
    assert await _deliveries(db, settings, erik_delete) == ["https://m.example/inbox"]
