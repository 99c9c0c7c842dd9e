"""/api/v1/notifications: our notifications as Mastodon's entities (an application to a call is
a `status` from the applicant, a decision told by a direct message a `mention` of it), filters,
pages with the Link header, scopes; dismiss and clear remove the rows, the member's only; none
from those the member blocks or mutes with notifications, in the list or the unread count."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.actors.resolve import FetchingResolver
from smartnode.content.application_decisions import direct_message
from smartnode.content.notices import notify
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_blocks import AccountBlock, AccountMute
from smartnode.storage.models_work import Application, Notification
from tests.conftest import make_member, make_project
from tests.content import add_follower
from tests.inbox import Fediverse
from tests.mastodon import TIME, assert_account, assert_status, bearer
from tests.mastodon.conftest import ALICE
from tests.mastodon.test_statuses_api import post, publish_call
from tests.mastodon.test_timelines_api import link_of

URL = "/api/v1/notifications"


async def _applied(api, db, settings, anna, bo) -> tuple[dict, Application]:
    """Arrange: anna coordinates Jazz; bo applies to its call by a direct reply from an app."""
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await publish_call(api, db, jazz, anna)
    await post(api, await bearer(db, bo, "write"), status=f"@jazz@{settings.domain} Drums!",
               visibility="direct", in_reply_to_id=str(call["id"]))  # fmt: skip
    async with db.session() as s:
        app = await s.scalar(select(Application))
    assert app is not None
    return call, app


async def _rows(db, member_id: int) -> list[int]:
    async with db.session() as s:
        rows = await s.scalars(select(Notification.id).where(Notification.actor_id == member_id)
                               .order_by(Notification.id))  # fmt: skip
        return list(rows)


async def test_an_application_reaches_the_coordinator_as_a_status_from_the_applicant(
    api, db, settings, anna, bo
) -> None:
    call, _ = await _applied(api, db, settings, anna, bo)
    headers = await bearer(db, anna, "read:notifications")
    response = await api.get(URL, headers=headers)
    assert response.status_code == 200, response.text
    [notice] = response.json()
    [row_id] = await _rows(db, anna.id)
    assert notice["id"] == str(row_id) and notice["type"] == "status"
    assert TIME.match(notice["created_at"]) and notice["group_key"] == f"ungrouped-{row_id}"
    assert_account(notice["account"])
    assert notice["account"]["id"] == str(bo.id)
    assert_status(notice["status"], viewer=True)
    assert notice["status"]["id"] == str(call["id"]) and notice["status"]["uri"] == call["uri"]
    assert link_of(response, "next").endswith(f"max_id={row_id}")
    one = await api.get(f"{URL}/{row_id}", headers=headers)
    assert one.status_code == 200 and one.json() == notice
    assert (await api.get(f"{URL}/{row_id}", headers=await bearer(db, bo))).status_code == 404
    assert (await api.get(f"{URL}/nope", headers=headers)).status_code == 404


async def test_a_decision_told_by_a_direct_message_is_a_mention_of_it(
    api, db, settings, anna, bo
) -> None:
    call, app = await _applied(api, db, settings, anna, bo)
    accepted = await api.post(f"/api/smart/v1/applications/{app.id}/accept",
                              headers=await bearer(db, anna))  # fmt: skip
    assert accepted.status_code == 200, accepted.text
    headers = await bearer(db, bo, "read")
    [decided] = (await api.get(URL, headers=headers, params={"types[]": "status"})).json()
    assert decided["type"] == "status" and decided["status"]["id"] == str(call["id"])
    assert decided["account"]["acct"] == "jazz"
    # the project's direct message that received the application mentions bo
    [received] = (await api.get(URL, headers=headers, params={"types[]": "mention"})).json()
    assert received["account"]["acct"] == "jazz"
    assert received["status"]["visibility"] == "direct"
    assert received["status"]["in_reply_to_account_id"] == str(bo.id)
    # Arrange: the decision was told by a direct message from the project, as to a remote one.
    uris = node_uris(settings)
    async with Fediverse().fetcher(settings) as fetcher, db.session() as s, s.begin():
        stored = await s.get(Application, app.id)
        call_row = await s.get(ContentObject, call["id"])
        jazz = await s.get(Actor, stored.project_id)
        person = await s.get(Actor, bo.id)
        resolver = FetchingResolver(s, uris, fetcher, now=datetime.now(UTC))
        note = await direct_message(s, uris, resolver, jazz, person, "accepted", call_row,
                                    stored.uri, datetime.now(UTC))  # fmt: skip
        stored.decision_uri = note.uri
        note_id = note.id
    mention = (await api.get(f"{URL}/{decided['id']}", headers=headers)).json()
    assert mention["type"] == "mention" and mention["status"]["id"] == str(note_id)
    assert mention["status"]["visibility"] == "direct"
    assert [m["acct"] for m in mention["status"]["mentions"]] == ["bo"]
    assert (await api.get(URL, headers=headers,
                          params={"exclude_types[]": "mention"})).json() == []  # fmt: skip


async def _matches(api, db, settings, anna, count: int) -> list[int]:
    """Arrange: `count` calls of Jazz (coordinated by cleo) that may suit anna, and a team
    invitation for her."""
    cleo = await make_member(db, settings, "cleo")
    jazz = await make_project(db, settings, "Jazz", "cleo")
    cleo_headers = await bearer(db, cleo)
    uris = []
    for n in range(count):
        made = await api.post(f"/api/smart/v1/actors/{jazz.username}/calls", headers=cleo_headers,
                              json={"title": f"Call {n}", "description": "Come!",
                                    "remote": True})  # fmt: skip
        assert made.status_code == 201, made.text
        uris.append(made.json()["uri"])
    async with db.session() as s, s.begin():
        for uri in uris:
            await notify(s, anna.id, "call_match", uri, {"score": 0.9}, datetime.now(UTC))
        await notify(s, anna.id, "team_invite", jazz.uri, {"project": jazz.uri},
                     datetime.now(UTC))  # fmt: skip
    return await _rows(db, anna.id)


async def test_pages_filters_and_the_unread_count(api, db, settings, anna) -> None:
    ids = await _matches(api, db, settings, anna, 3)
    shown = [str(i) for i in ids[:3]][::-1]  # newest first; the team invitation is left out
    headers = await bearer(db, anna, "read:notifications write:statuses")
    first = await api.get(URL, headers=headers, params={"limit": 2})
    assert [n["id"] for n in first.json()] == shown[:2]
    assert all(n["type"] == "status" and n["account"]["acct"] == "jazz" for n in first.json())
    older = await api.get(link_of(first, "next").removeprefix(settings.base_url), headers=headers)
    assert [n["id"] for n in older.json()] == shown[2:]
    newer = await api.get(link_of(older, "prev").removeprefix(settings.base_url), headers=headers)
    assert [n["id"] for n in newer.json()] == shown[:2]
    above = await api.get(URL, headers=headers, params={"min_id": shown[2], "limit": 1})
    assert [n["id"] for n in above.json()] == [shown[1]]
    jazz = first.json()[0]["account"]["id"]
    assert len((await api.get(URL, headers=headers, params={"account_id": jazz})).json()) == 3
    assert (await api.get(URL, headers=headers, params={"account_id": str(anna.id)})).json() == []
    assert (await api.get(URL, headers=headers, params={"types[]": "follow"})).json() == []
    bad = await api.get(URL, headers=headers, params={"types[]": "nonsense"})
    assert bad.status_code == 422 and set(bad.json()) == {"error"}
    count = await api.get(f"{URL}/unread_count", headers=headers)
    assert count.status_code == 200 and count.json() == {"count": 3}
    saved = await api.post("/api/v1/markers", headers=headers,
                           json={"notifications": {"last_read_id": shown[1]}})  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert (await api.get(f"{URL}/unread_count", headers=headers)).json() == {"count": 1}


async def test_scopes_and_members(api, db, settings, anna) -> None:
    [first, *_] = await _matches(api, db, settings, anna, 1)
    assert (await api.get(URL)).status_code == 401
    statuses_only = await bearer(db, anna, "read:statuses write:statuses")
    refused = await api.get(URL, headers=statuses_only)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    reader = await bearer(db, anna, "read:notifications")
    assert (await api.post(f"{URL}/{first}/dismiss", headers=reader)).status_code == 403
    assert (await api.post(f"{URL}/clear", headers=reader)).status_code == 403
    assert len(await _rows(db, anna.id)) == 2


async def test_dismiss_removes_one_and_clear_removes_all_of_the_members_own(
    api, db, settings, anna, bo
) -> None:
    ids = await _matches(api, db, settings, anna, 2)
    async with db.session() as s, s.begin():
        await notify(s, bo.id, "call_match", "https://x.example/calls/1", {}, datetime.now(UTC))
    [bos] = await _rows(db, bo.id)
    writer = await bearer(db, anna, "write:notifications")
    dismissed = await api.post(f"{URL}/{ids[0]}/dismiss", headers=writer)
    assert dismissed.status_code == 200 and dismissed.json() == {}
    assert await _rows(db, anna.id) == ids[1:]
    assert (await api.post(f"{URL}/{ids[0]}/dismiss", headers=writer)).status_code == 404
    assert (await api.post(f"{URL}/{bos}/dismiss", headers=writer)).status_code == 404
    cleared = await api.post(f"{URL}/clear", headers=writer)
    assert cleared.status_code == 200 and cleared.json() == {}
    assert await _rows(db, anna.id) == []
    assert await _rows(db, bo.id) == [bos]


async def test_follow_and_mention_notifications_are_mastodons_own_types(
    api, db, settings, anna, bo
) -> None:
    alice = await add_follower(db, anna, ALICE)
    post_ = await post(api, await bearer(db, bo, "write"), status="Hej @anna!")
    async with db.session() as s, s.begin():
        await notify(s, anna.id, "follow", f"{anna.uri}/followers#{alice.uri}",
                     {"actor": alice.uri, "state": "accepted"}, datetime.now(UTC))  # fmt: skip
        await notify(s, anna.id, "follow", f"{anna.uri}/followers#{bo.uri}",
                     {"actor": bo.uri, "state": "pending"}, datetime.now(UTC))  # fmt: skip
    headers = await bearer(db, anna, "read:notifications")
    found = (await api.get(URL, headers=headers)).json()
    assert [(n["type"], n["account"]["id"]) for n in found] == [
        ("follow_request", str(bo.id)),
        ("follow", str(alice.id)),
        ("mention", str(bo.id)),  # the post told anna (content/social_notices.py)
    ]
    assert found[2]["status"]["id"] == post_["id"]
    assert "status" not in found[0] and "status" not in found[1]
    follows = await api.get(
        URL, headers=headers, params=[("types[]", "follow"), ("types[]", "follow_request")]
    )
    assert [n["type"] for n in follows.json()] == ["follow_request", "follow"]


async def test_the_unread_count_leaves_out_those_muted_or_blocked_as_the_list_does(
    api, db, settings, anna, bo
) -> None:
    carl = await make_member(db, settings, "carl")
    for who in (bo, carl):
        followed = await api.post(f"/api/v1/accounts/{anna.id}/follow",
                                  headers=await bearer(db, who, "follow"))  # fmt: skip
        assert followed.status_code == 200, followed.text
    headers = await bearer(db, anna, "read write follow")

    async def seen() -> tuple[int, list[str]]:
        count = (await api.get(f"{URL}/unread_count", headers=headers)).json()["count"]
        listed = [n["account"]["acct"] for n in (await api.get(URL, headers=headers)).json()]
        return count, sorted(listed)

    assert await seen() == (2, ["bo", "carl"])
    muted = await api.post(f"/api/v1/accounts/{bo.id}/mute", headers=headers,
                           json={"notifications": True})  # fmt: skip
    assert muted.status_code == 200, muted.text
    assert await seen() == (1, ["carl"])
    await api.post(f"/api/v1/accounts/{bo.id}/unmute", headers=headers)
    assert await seen() == (2, ["bo", "carl"])
    assert (await api.post(f"/api/v1/accounts/{carl.id}/block", headers=headers)).is_success
    assert await seen() == (1, ["bo"])


async def test_calls_of_a_muted_project_and_an_application_of_a_blocked_member_leave(
    api, db, settings, anna, bo
) -> None:
    [first, _, invite] = await _matches(api, db, settings, anna, 2)
    async with db.session() as s, s.begin():
        jazz = await s.scalar(select(Actor).where(Actor.username == "jazz", Actor.local))
        call = await s.scalar(select(Notification.object_uri).where(Notification.id == first))
        await notify(s, anna.id, "application", f"{settings.base_url}/applications/a1",
                     {"call": call, "applicant": bo.uri, "state": "pending"},
                     datetime.now(UTC))  # fmt: skip
    headers = await bearer(db, anna, "read write follow")

    async def seen() -> tuple[int, list[tuple[str, str]]]:
        count = (await api.get(f"{URL}/unread_count", headers=headers)).json()["count"]
        found = (await api.get(URL, headers=headers)).json()
        return count, [(n["type"], n["account"]["acct"]) for n in found]

    assert await seen() == (3, [("status", "bo"), ("status", "jazz"), ("status", "jazz")])
    muted = await api.post(f"/api/v1/accounts/{jazz.id}/mute", headers=headers,
                           json={"notifications": True})  # fmt: skip
    assert muted.status_code == 200, muted.text
    assert await seen() == (1, [("status", "bo")])  # to jazz's call, but from bo
    assert (await api.post(f"/api/v1/accounts/{bo.id}/block", headers=headers)).is_success
    assert await seen() == (0, [])
    async with db.session() as s:
        [mute] = (await s.scalars(select(AccountMute))).all()
        [block] = (await s.scalars(select(AccountBlock))).all()
    assert (mute.target_id, mute.notifications, block.target_id) == (jazz.id, True, bo.id)
    assert len(await _rows(db, anna.id)) == 4 and invite in await _rows(db, anna.id)
