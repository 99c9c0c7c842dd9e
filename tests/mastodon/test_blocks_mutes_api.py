"""/api/v1/accounts/:id/block, unblock, mute, unmute, /api/v1/blocks and /api/v1/mutes: codes,
the Relationship's blocking, blocked_by, muting and muting_notifications, lists paged with a
Link header, Mastodon's scopes, and the follows a block cuts (on the wire and in the rows)."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models import Follow
from smartnode.storage.models_blocks import AccountBlock, AccountMute
from tests.conftest import make_member
from tests.mastodon import RELATIONSHIP, assert_account, assert_shape, bearer
from tests.mastodon.test_timelines_api import link_of


async def _rows(db, model) -> list:
    async with db.session() as s:
        return list((await s.scalars(select(model).order_by(model.id))).all())


async def test_a_block_cuts_the_follows_both_ways_and_shows_on_both_sides(
    api, db, anna, bo
) -> None:
    anna_h, bo_h = await bearer(db, anna, "read write follow"), await bearer(db, bo, "follow")
    assert (await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=anna_h)).status_code == 200
    assert (await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=bo_h)).status_code == 200
    blocked = await api.post(f"/api/v1/accounts/{bo.id}/block", headers=anna_h)
    assert blocked.status_code == 200, blocked.text
    assert_shape(blocked.json(), RELATIONSHIP)
    found = blocked.json()
    assert (found["id"], found["blocking"], found["blocked_by"]) == (str(bo.id), True, False)
    assert (found["following"], found["followed_by"]) == (False, False)
    assert await _rows(db, Follow) == []
    [row] = await _rows(db, AccountBlock)
    assert (row.actor_id, row.target_id, row.uri) == (anna.id, bo.id, None)  # local: nothing sent
    seen_by_bo = await api.get("/api/v1/accounts/relationships", params={"id[]": anna.id},
                               headers=await bearer(db, bo, "read:follows"))  # fmt: skip
    assert (seen_by_bo.json()[0]["blocked_by"], seen_by_bo.json()[0]["blocking"]) == (True, False)
    refused = await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=bo_h)
    assert refused.status_code == 403 and set(refused.json()) == {"error"}
    again = await api.post(f"/api/v1/accounts/{bo.id}/block", headers=anna_h)
    assert again.json()["blocking"] is True and len(await _rows(db, AccountBlock)) == 1
    undone = await api.post(f"/api/v1/accounts/{bo.id}/unblock", headers=anna_h)
    assert undone.status_code == 200 and undone.json()["blocking"] is False
    assert await _rows(db, AccountBlock) == []
    assert (await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=bo_h)).json()[
        "following"
    ] is True


async def test_blocks_are_listed_newest_first_and_paged_with_a_link_header(
    api, db, settings, anna
) -> None:
    others = [await make_member(db, settings, f"m{n}") for n in range(3)]
    headers = await bearer(db, anna, "write:blocks read:blocks")
    for other in others:
        assert (await api.post(f"/api/v1/accounts/{other.id}/block", headers=headers)).json()[
            "blocking"
        ]
    first = await api.get("/api/v1/blocks", params={"limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    assert [a["id"] for a in first.json()] == [str(others[2].id), str(others[1].id)]
    for account in first.json():
        assert_account(account)
    next_url = link_of(first, "next")
    assert next_url.startswith(f"{settings.base_url}/api/v1/blocks?limit=2&max_id=")
    older = await api.get(next_url.removeprefix(settings.base_url), headers=headers)
    assert [a["id"] for a in older.json()] == [str(others[0].id)]
    newer = await api.get(link_of(older, "prev").removeprefix(settings.base_url), headers=headers)
    assert [a["id"] for a in newer.json()] == [str(others[2].id), str(others[1].id)]


async def test_a_mute_keeps_or_hides_notifications_and_is_listed_with_its_end(
    api, db, anna, bo
) -> None:
    headers = await bearer(db, anna, "read:mutes write:mutes")
    muted = await api.post(f"/api/v1/accounts/{bo.id}/mute", headers=headers,
                           json={"notifications": False, "duration": 3600})  # fmt: skip
    assert muted.status_code == 200, muted.text
    assert_shape(muted.json(), RELATIONSHIP)
    assert (muted.json()["muting"], muted.json()["muting_notifications"]) == (True, False)
    [row] = await _rows(db, AccountMute)
    assert row.notifications is False and row.expires_at is not None
    assert 3590 <= (row.expires_at - row.created_at).total_seconds() <= 3610
    listed = await api.get("/api/v1/mutes", headers=headers)
    assert [a["id"] for a in listed.json()] == [str(bo.id)]
    assert_account(listed.json()[0])
    assert listed.json()[0]["mute_expires_at"].endswith("Z")
    assert 'rel="next"' in listed.headers["link"]
    again = await api.post(f"/api/v1/accounts/{bo.id}/mute", headers=headers,
                           data={"notifications": "true"})  # fmt: skip
    assert (again.json()["muting"], again.json()["muting_notifications"]) == (True, True)
    [row] = await _rows(db, AccountMute)
    assert row.notifications is True and row.expires_at is None  # 0 or absent: for good
    assert (await api.get("/api/v1/mutes", headers=headers)).json()[0]["mute_expires_at"] is None
    unmuted = await api.post(f"/api/v1/accounts/{bo.id}/unmute", headers=headers)
    assert (unmuted.json()["muting"], unmuted.json()["muting_notifications"]) == (False, False)
    assert await _rows(db, AccountMute) == []
    assert (await api.get("/api/v1/mutes", headers=headers)).json() == []


async def test_scopes_are_mastodons(api, db, anna, bo) -> None:
    reading = await bearer(db, anna, "read")
    for path in ("block", "unblock", "mute", "unmute"):
        assert (await api.post(f"/api/v1/accounts/{bo.id}/{path}")).status_code == 401
        refused = await api.post(f"/api/v1/accounts/{bo.id}/{path}", headers=reading)
        assert refused.status_code == 403, path
        assert refused.json() == {"error": "This action is outside the authorized scopes"}
    muting_only = await bearer(db, anna, "write:mutes")
    assert (await api.post(f"/api/v1/accounts/{bo.id}/block", headers=muting_only)
            ).status_code == 403  # fmt: skip
    assert (await api.post(f"/api/v1/accounts/{bo.id}/mute", headers=muting_only)
            ).status_code == 200  # fmt: skip
    assert (await api.get("/api/v1/mutes", headers=muting_only)).status_code == 403
    assert (await api.get("/api/v1/blocks", headers=await bearer(db, anna, "read:mutes"))
            ).status_code == 403  # fmt: skip
    assert (await api.get("/api/v1/blocks")).status_code == 401
    for scopes in ("read", "read:blocks", "follow"):
        assert (await api.get("/api/v1/blocks", headers=await bearer(db, anna, scopes))
                ).status_code == 200, scopes  # fmt: skip
    assert (await api.post(f"/api/v1/accounts/{bo.id}/block",
                           headers=await bearer(db, anna, "write"))).status_code == 200  # fmt: skip


async def test_bad_requests_are_clear_and_leave_nothing(api, db, anna) -> None:
    headers = await bearer(db, anna, "read write")
    unknown = await api.post("/api/v1/accounts/424242/block", headers=headers)
    assert unknown.status_code == 404 and unknown.json() == {"error": "Record not found"}
    assert (await api.post("/api/v1/accounts/abc/mute", headers=headers)).status_code == 404
    itself = await api.post(f"/api/v1/accounts/{anna.id}/block", headers=headers)
    assert itself.status_code == 422 and set(itself.json()) == {"error"}
    for body in ({"duration": -5}, {"duration": "soon"}, {"notifications": "maybe"}):
        bad = await api.post(f"/api/v1/accounts/{anna.id}/mute", headers=headers, json=body)
        assert bad.status_code == 422 and set(bad.json()) == {"error"}, body
    assert await _rows(db, AccountBlock) == [] and await _rows(db, AccountMute) == []
