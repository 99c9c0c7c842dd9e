"""Follows and mentions become notifications (content/social_notices.py), from this node's
members (the Mastodon API) and from other servers (the inbox): apps read them as `follow`,
`follow_request` and `mention` (the web page's words: tests/inbox/test_social_notices.py)."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models_work import Notification
from tests.content import activity, remote_note
from tests.inbox import follow_activity, receive
from tests.mastodon import assert_status, bearer
from tests.mastodon.conftest import ALICE
from tests.mastodon.test_statuses_api import post

URL = "/api/v1/notifications"


async def _kinds(db, member_id: int) -> list[tuple[str, str]]:
    async with db.session() as s:
        rows = await s.execute(select(Notification.kind, Notification.object_uri)
                               .where(Notification.actor_id == member_id)
                               .order_by(Notification.id))  # fmt: skip
        return [(kind, uri) for kind, uri in rows.all()]


async def test_a_follow_and_a_mention_from_an_app_reach_the_member(api, db, anna, bo) -> None:
    headers = await bearer(db, anna, "read write follow")
    assert (await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=headers)).status_code == 200
    status = await post(api, headers, status="Hej @bo!")
    assert await _kinds(db, bo.id) == [
        ("follow", f"{bo.uri}/followers#{anna.uri}"), ("mention", status["uri"])]  # fmt: skip
    found = (await api.get(URL, headers=await bearer(db, bo, "read:notifications"))).json()
    assert [(n["type"], n["account"]["id"]) for n in found] == [
        ("mention", str(anna.id)), ("follow", str(anna.id))]  # fmt: skip
    assert found[0]["status"]["id"] == status["id"]
    assert_status(found[0]["status"], viewer=True)
    assert "status" not in found[1]
    assert await _kinds(db, anna.id) == []  # nobody is told of their own doing


async def test_a_locked_member_is_asked_and_a_remote_mention_is_told(
    api, db, settings, world, anna
) -> None:
    async with db.session() as s, s.begin():
        row = await s.get(type(anna), anna.id)
        assert row is not None
        row.manually_approves_followers = True
    outcome = await receive(db, settings, world, follow_activity(ALICE, anna.uri))
    assert outcome.status == "processed", outcome
    note = remote_note(f"{ALICE}/statuses/5", ALICE, content="<p>@anna hej</p>",
                       to=[anna.uri], cc=[],
                       tag=[{"type": "Mention", "href": anna.uri, "name": "@anna"}])  # fmt: skip
    create = activity("Create", ALICE, note, f"{ALICE}/statuses/5/activity")
    assert (await receive(db, settings, world, create)).status == "processed"
    assert await _kinds(db, anna.id) == [
        ("follow", f"{anna.uri}/followers#{ALICE}"), ("mention", note["id"])]  # fmt: skip
    found = (await api.get(URL, headers=await bearer(db, anna, "read"))).json()
    assert [n["type"] for n in found] == ["mention", "follow_request"]
    assert found[0]["status"]["visibility"] == "direct"
    assert found[1]["account"]["acct"] == "alice@mastodon.example"
