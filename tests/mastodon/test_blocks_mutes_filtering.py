"""Blocks and mutes on the wire: the statuses of those a member blocks, mutes or is blocked by
leave their home, public and hashtag timelines and their streams; notifications from those
they block or mute with notifications leave their list; an expired mute stops applying."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from websockets.asyncio.client import connect

from smartnode.storage.models_blocks import AccountMute
from tests.conftest import make_member
from tests.mastodon import bearer
from tests.mastodon.test_streaming_api import event, node, post, token_of

HOME, PUBLIC, TAG = (
    "/api/v1/timelines/home",
    "/api/v1/timelines/public",
    "/api/v1/timelines/tag/jazz",
)


async def _ids(api, path: str, headers: dict[str, str]) -> set[str]:
    response = await api.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return {status["id"] for status in response.json()}


async def test_blocked_muted_and_blocking_accounts_leave_every_timeline(
    api, db, settings, anna, bo
) -> None:
    cleo, dan = await make_member(db, settings, "cleo"), await make_member(db, settings, "dan")
    anna_h = await bearer(db, anna, "read write follow")
    for other in (bo, cleo, dan):
        assert (await api.post(f"/api/v1/accounts/{other.id}/follow", headers=anna_h)
                ).status_code == 200  # fmt: skip
    posted = {who.username: await post(api, await bearer(db, who, "write"), status="Kväll #jazz")
              for who in (bo, cleo, dan)}  # fmt: skip
    ids = {name: status["id"] for name, status in posted.items()}
    for path in (HOME, PUBLIC, TAG):
        assert await _ids(api, path, anna_h) == set(ids.values()), path
    assert (await api.post(f"/api/v1/accounts/{bo.id}/block", headers=anna_h)).status_code == 200
    assert (await api.post(f"/api/v1/accounts/{cleo.id}/mute", headers=anna_h)).status_code == 200
    dan_h = await bearer(db, dan, "write:blocks")
    assert (await api.post(f"/api/v1/accounts/{anna.id}/block", headers=dan_h)).status_code == 200
    for path in (HOME, PUBLIC, TAG):
        assert await _ids(api, path, anna_h) == set(), path
    assert await _ids(api, PUBLIC, {}) == set(ids.values())  # nobody in particular sees all
    async with db.session() as s, s.begin():  # the mute ran out an hour ago
        await s.execute(
            update(AccountMute).values(expires_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert await _ids(api, PUBLIC, anna_h) == {ids["cleo"]}
    relation = await api.get("/api/v1/accounts/relationships", params={"id[]": cleo.id},
                             headers=anna_h)  # fmt: skip
    assert relation.json()[0]["muting"] is False
    assert (await api.get("/api/v1/mutes", headers=anna_h)).json() == []


async def test_notifications_leave_with_a_block_or_a_mute_of_notifications(
    api, db, anna, bo
) -> None:
    anna_h = await bearer(db, anna, "read write follow")
    bo_h = await bearer(db, bo, "read write follow")
    assert (await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=bo_h)).status_code == 200
    mention = await post(api, bo_h, status="Hej @anna")
    url = "/api/v1/notifications"
    told = [(n["type"], n["account"]["id"]) for n in (await api.get(url, headers=anna_h)).json()]
    assert told == [("mention", str(bo.id)), ("follow", str(bo.id))]
    await api.post(f"/api/v1/accounts/{bo.id}/mute", headers=anna_h, json={"notifications": False})
    assert len((await api.get(url, headers=anna_h)).json()) == 2  # kept: statuses only muted
    assert await _ids(api, PUBLIC, anna_h) == set()
    await api.post(f"/api/v1/accounts/{bo.id}/mute", headers=anna_h, json={"notifications": True})
    assert (await api.get(url, headers=anna_h)).json() == []
    await api.post(f"/api/v1/accounts/{bo.id}/unmute", headers=anna_h)
    assert [n["type"] for n in (await api.get(url, headers=anna_h)).json()] == [
        "mention", "follow"]  # fmt: skip
    await api.post(f"/api/v1/accounts/{bo.id}/block", headers=anna_h)
    assert (await api.get(url, headers=anna_h)).json() == []
    assert mention["id"] not in await _ids(api, PUBLIC, anna_h)


async def test_the_streams_leave_out_a_blocked_account(settings, db, anna, bo) -> None:
    cleo = await make_member(db, settings, "cleo")
    async with node(settings) as (base, api):
        anna_h = await bearer(db, anna, "read write follow")
        await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=anna_h)
        await api.post(f"/api/v1/accounts/{bo.id}/block", headers=anna_h)
        url = f"{base}/api/v1/streaming?stream=public&access_token={token_of(anna_h)}"
        async with connect(url) as socket:
            await post(api, await bearer(db, bo, "write"), status="Från Bo")
            from_cleo = await post(api, await bearer(db, cleo, "write"), status="Från Cleo")
            got = await event(socket)  # the first event is Cleo's: Bo's never came
            assert (got["stream"], json.loads(got["payload"])["id"]) == (
                ["public"],
                from_cleo["id"],
            )
