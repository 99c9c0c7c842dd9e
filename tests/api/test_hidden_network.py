"""Hidden networks give totals only (PROTOCOL.md "Serving objects"), on AS2 and the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from smartnode.storage.models import Actor, Follow
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member

AP = {"Accept": "application/activity+json"}


async def _followed_by(db, settings, name: str, followers: list[str]) -> None:
    for follower in followers:
        await make_member(db, settings, follower)
    async with db.session() as s, s.begin():
        target = await s.scalar(select(Actor).where(Actor.username == name))
        assert target is not None
        for follower in followers:
            row = await s.scalar(select(Actor).where(Actor.username == follower))
            assert row is not None
            s.add(Follow(follower_id=row.id, followed_id=target.id, state="accepted",
                         created_at=datetime.now(UTC)))  # fmt: skip


async def test_a_hidden_network_shows_counts_but_no_members(client, db, settings) -> None:
    await make_member(db, settings, "anna", hide_network=True)
    await _followed_by(db, settings, "anna", ["bo", "cy"])
    root = await client.get("/members/anna/followers", headers=AP)
    assert root.status_code == 200
    body = root.json()
    assert body["totalItems"] == 2 and "first" not in body and "orderedItems" not in body
    page = await client.get("/members/anna/followers?page=true", headers=AP)
    assert page.status_code == 403
    assert "members/bo" not in page.text and "members/bo" not in root.text
    following = await client.get("/members/anna/following", headers=AP)
    assert following.status_code == 200 and following.json()["totalItems"] == 0
    listed = await client.get("/api/smart/v1/actors/anna/followers")
    assert listed.status_code == 403
    as_admin = await client.get(
        "/api/smart/v1/actors/anna/followers", headers=await admin_headers(db)
    )
    assert as_admin.status_code == 200 and len(as_admin.json()["items"]) == 2


async def test_an_open_network_lists_its_members(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await _followed_by(db, settings, "anna", ["bo"])
    page = await client.get("/members/anna/followers?page=true", headers=AP)
    assert page.status_code == 200 and page.json()["orderedItems"] == [
        f"{settings.base_url}/members/bo"
    ]
    assert (await client.get("/api/smart/v1/actors/anna/followers")).status_code == 200


async def test_members_can_hide_their_network_later(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    changed = await client.patch(
        "/api/smart/v1/members/anna", json={"hide_network": True}, headers=await admin_headers(db)
    )
    assert changed.status_code == 200
    page = await client.get("/members/anna/followers?page=true", headers=AP)
    assert page.status_code == 403
