"""/api/v1/lists…: a member's lists (only accounts they follow go on them), their accounts,
the lists holding an account, a list's timeline (replies policy, Link paging), and a
project's team as a read-only list. Scopes: read:lists, write:lists."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from smartnode.actors.projects import Role, add_to_team
from smartnode.storage.models_lists import ListAccount, MemberList
from tests.conftest import make_member, make_project
from tests.content import make_post
from tests.mastodon import assert_account, assert_status, bearer
from tests.mastodon.test_timelines_api import link_of

LIST = {"id": str, "title": str, "replies_policy": str, "exclusive": bool}


def assert_list(entity) -> None:
    assert set(entity) == set(LIST)
    for name, kind in LIST.items():
        assert isinstance(entity[name], kind), name


async def _rows(db, model) -> list:
    async with db.session() as s:
        return list((await s.scalars(select(model))).all())


async def test_a_member_makes_reads_changes_and_deletes_lists(api, db, anna, bo) -> None:
    headers = await bearer(db, anna, "read write")
    made = await api.post("/api/v1/lists", json={"title": "Friends"}, headers=headers)
    assert made.status_code == 200, made.text
    assert_list(made.json())
    assert made.json()["replies_policy"] == "list" and made.json()["exclusive"] is False
    list_id = made.json()["id"]
    assert [one["id"] for one in (await api.get("/api/v1/lists", headers=headers)).json()] == [
        list_id
    ]
    changed = await api.put(
        f"/api/v1/lists/{list_id}",
        headers=headers,
        data={"title": "Close", "replies_policy": "none", "exclusive": "true"},
    )
    assert changed.json() == {"id": list_id, "title": "Close", "replies_policy": "none",
                              "exclusive": True}  # fmt: skip
    assert (await api.get(f"/api/v1/lists/{list_id}", headers=headers)).json()["title"] == "Close"
    bos = await bearer(db, bo, "read write")
    assert (await api.get(f"/api/v1/lists/{list_id}", headers=bos)).status_code == 404
    assert (await api.delete(f"/api/v1/lists/{list_id}", headers=bos)).status_code == 404
    gone = await api.delete(f"/api/v1/lists/{list_id}", headers=headers)
    assert gone.status_code == 200 and gone.json() == {}
    missing = await api.get(f"/api/v1/lists/{list_id}", headers=headers)
    assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}
    assert await _rows(db, MemberList) == []


async def test_bad_lists_are_refused_and_leave_nothing(api, db, anna) -> None:
    headers = await bearer(db, anna, "read write")
    blank = await api.post("/api/v1/lists", data={"title": "  "}, headers=headers)
    assert blank.status_code == 422 and "Title" in blank.json()["error"]
    policy = await api.post("/api/v1/lists", headers=headers,
                            json={"title": "X", "replies_policy": "everyone"})  # fmt: skip
    assert policy.status_code == 422 and "Replies policy" in policy.json()["error"]
    assert await _rows(db, MemberList) == []
    assert (await api.get("/api/v1/lists/abc", headers=headers)).status_code == 404


async def test_scopes_read_lists_cannot_write_and_tokens_are_needed(api, db, anna) -> None:
    assert (await api.get("/api/v1/lists")).status_code == 401
    reading = await bearer(db, anna, "read:lists")
    assert (await api.get("/api/v1/lists", headers=reading)).json() == []
    refused = await api.post("/api/v1/lists", json={"title": "X"}, headers=reading)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    statuses_only = await bearer(db, anna, "read:statuses write:statuses")
    assert (await api.get("/api/v1/lists", headers=statuses_only)).status_code == 403
    writing = await bearer(db, anna, "write:lists")
    assert (
        await api.post("/api/v1/lists", json={"title": "X"}, headers=writing)
    ).status_code == 200
    assert await _rows(db, MemberList) != []


async def test_only_followed_accounts_go_on_a_list(api, db, settings, anna, bo) -> None:
    carl = await make_member(db, settings, "carl")
    dana = await make_member(db, settings, "dana")
    headers = await bearer(db, anna, "read write")
    for who in (bo, dana):
        assert (
            await api.post(f"/api/v1/accounts/{who.id}/follow", headers=headers)
        ).status_code == 200
    list_id = (await api.post("/api/v1/lists", json={"title": "F"}, headers=headers)).json()["id"]
    path = f"/api/v1/lists/{list_id}/accounts"
    stranger = await api.post(path, json={"account_ids": [str(carl.id)]}, headers=headers)
    assert stranger.status_code == 404 and stranger.json() == {"error": "Record not found"}
    added = await api.post(
        path, data={"account_ids[]": [str(bo.id), str(dana.id)]}, headers=headers
    )
    assert added.status_code == 200 and added.json() == {}
    again = await api.post(path, json={"account_ids": [str(bo.id)]}, headers=headers)
    assert again.status_code == 422
    assert sorted(r.actor_id for r in await _rows(db, ListAccount)) == sorted([bo.id, dana.id])
    first = await api.get(path, params={"limit": 1}, headers=headers)
    assert first.status_code == 200
    assert [a["id"] for a in first.json()] == [str(dana.id)]
    assert_account(first.json()[0])
    rest = await api.get(link_of(first, "next").removeprefix(settings.base_url), headers=headers)
    assert [a["id"] for a in rest.json()] == [str(bo.id)]
    every = await api.get(path, params={"limit": 0}, headers=headers)
    assert len(every.json()) == 2 and "link" not in every.headers
    holding = await api.get(f"/api/v1/accounts/{bo.id}/lists", headers=headers)
    assert [one["id"] for one in holding.json()] == [list_id]
    off = await api.delete(path, params={"account_ids[]": str(bo.id)}, headers=headers)
    assert off.status_code == 200 and off.json() == {}
    assert [r.actor_id for r in await _rows(db, ListAccount)] == [dana.id]
    assert (await api.get(f"/api/v1/accounts/{bo.id}/lists", headers=headers)).json() == []
    reading = await bearer(db, anna, "read")
    assert (await api.delete(path, params={"account_ids[]": str(dana.id)},
                             headers=reading)).status_code == 403  # fmt: skip


async def test_a_lists_timeline_holds_its_accounts_statuses_by_its_replies_policy(
    api, db, settings, anna, bo
) -> None:
    carl = await make_member(db, settings, "carl")
    headers = await bearer(db, anna, "read write")
    for who in (bo, carl):
        await api.post(f"/api/v1/accounts/{who.id}/follow", headers=headers)
    list_id = (await api.post("/api/v1/lists", json={"title": "B"}, headers=headers)).json()["id"]
    await api.post(f"/api/v1/lists/{list_id}/accounts", json={"account_ids": [str(bo.id)]},
                   headers=headers)  # fmt: skip
    carls = await make_post(db, settings, carl, content="Carl")
    bos = [await make_post(db, settings, bo, content=f"Bo {n}") for n in range(3)]
    to_carl = await make_post(db, settings, bo, content="Re", in_reply_to=carls.uri)
    path = f"/api/v1/timelines/list/{list_id}"
    first = await api.get(path, params={"limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    assert [s["id"] for s in first.json()] == [str(bos[2].id), str(bos[1].id)]
    for status in first.json():
        assert_status(status, viewer=True)
    older = await api.get(link_of(first, "next").removeprefix(settings.base_url), headers=headers)
    assert [s["id"] for s in older.json()] == [str(bos[0].id)]
    await api.put(f"/api/v1/lists/{list_id}", json={"replies_policy": "followed"}, headers=headers)
    followed = await api.get(path, headers=headers)
    assert next(s["id"] for s in followed.json()) == str(to_carl.id)
    assert str(carls.id) not in [s["id"] for s in followed.json()]
    reading_statuses = await bearer(db, anna, "read:statuses")
    assert (await api.get(path, headers=reading_statuses)).status_code == 403


async def test_accounts_on_an_exclusive_list_leave_the_home_timeline(
    api, db, settings, anna, bo
) -> None:
    carl = await make_member(db, settings, "carl")
    headers = await bearer(db, anna, "read write")
    for who in (bo, carl):
        await api.post(f"/api/v1/accounts/{who.id}/follow", headers=headers)
    made = await api.post("/api/v1/lists", json={"title": "Band", "exclusive": True},
                          headers=headers)  # fmt: skip
    list_id = made.json()["id"]
    await api.post(f"/api/v1/lists/{list_id}/accounts", json={"account_ids": [str(bo.id)]},
                   headers=headers)  # fmt: skip
    bos = await make_post(db, settings, bo, content="Rehearsal moved")
    carls = await make_post(db, settings, carl, content="New poster")
    await api.post(f"/api/v1/statuses/{carls.id}/reblog", headers=await bearer(db, bo, "write"))

    def ids(answer) -> list[str]:
        return [s["id"] for s in answer.json()]

    home = await api.get("/api/v1/timelines/home", headers=headers)
    assert ids(home) == [str(carls.id)]  # bo's post and bo's boost are on the list only
    listed = await api.get(f"/api/v1/timelines/list/{list_id}", headers=headers)
    assert ids(listed) == [str(bos.id)]
    await api.put(f"/api/v1/lists/{list_id}", json={"exclusive": False}, headers=headers)
    home = await api.get("/api/v1/timelines/home", headers=headers)
    assert ids(home) == [str(carls.id), str(bos.id)]


async def test_a_projects_team_is_a_read_only_list(api, db, settings, anna, bo) -> None:
    project = await make_project(db, settings, "Garden", "anna")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.MEMBER, datetime.now(UTC))
    outsider = await make_member(db, settings, "carl")
    post = await make_post(db, settings, bo, content="Seeds")
    await make_post(db, settings, outsider, content="Elsewhere")
    headers = await bearer(db, anna, "read write")
    found = (await api.get("/api/v1/lists", headers=headers)).json()
    team_id = f"team-{project.id}"
    assert [one["id"] for one in found] == [team_id]
    assert_list(found[0])
    assert found[0]["title"] == "Garden"
    timeline = await api.get(f"/api/v1/timelines/list/{team_id}", headers=headers)
    assert [s["id"] for s in timeline.json()] == [str(post.id)]
    accounts = await api.get(f"/api/v1/lists/{team_id}/accounts", headers=headers)
    assert sorted(a["id"] for a in accounts.json()) == sorted([str(anna.id), str(bo.id)])
    holding = await api.get(f"/api/v1/accounts/{bo.id}/lists", headers=headers)
    assert [one["id"] for one in holding.json()] == [team_id]
    refused = await api.put(f"/api/v1/lists/{team_id}", json={"title": "X"}, headers=headers)
    assert refused.status_code == 403 and "team" in refused.json()["error"]
    assert (await api.delete(f"/api/v1/lists/{team_id}", headers=headers)).status_code == 403
    carls = await bearer(db, outsider, "read")
    assert (await api.get(f"/api/v1/timelines/list/{team_id}", headers=carls)).status_code == 404
