"""/api/v1/conversations: the member's direct statuses grouped by who takes part, newest last
status first, paged with Link; marked read; deleted (hidden until a newer status comes).
Scopes: read:statuses lists, write:conversations changes."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models_lists import ConversationMark
from tests.conftest import make_member
from tests.mastodon import assert_account, assert_status, bearer
from tests.mastodon.test_timelines_api import link_of


async def _say(api, headers, text: str, **fields) -> dict:
    response = await api.post("/api/v1/statuses", headers=headers,
                              data={"status": text, "visibility": "direct", **fields})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def assert_conversation(entity: dict) -> None:
    assert set(entity) == {"id", "unread", "accounts", "last_status"}
    assert isinstance(entity["id"], str) and entity["id"].isdigit()
    assert isinstance(entity["unread"], bool)
    for account in entity["accounts"]:
        assert_account(account)
    assert_status(entity["last_status"], viewer=True)


async def test_direct_statuses_are_conversations_read_and_deleted(
    api, db, settings, anna, bo
) -> None:
    carl = await make_member(db, settings, "carl")
    annas, bos, carls = [await bearer(db, who, "read write") for who in (anna, bo, carl)]
    await api.post("/api/v1/statuses", headers=annas, data={"status": "Public"})
    first = await _say(api, annas, "@bo hej")
    answer = await _say(api, bos, "@anna hej hej", in_reply_to_id=first["id"])
    other = await _say(api, annas, "@carl hallo")
    listed = await api.get("/api/v1/conversations", headers=annas)
    assert listed.status_code == 200, listed.text
    found = listed.json()
    for entity in found:
        assert_conversation(entity)
    assert [c["last_status"]["id"] for c in found] == [other["id"], answer["id"]]
    assert [c["unread"] for c in found] == [False, True]
    assert [[a["id"] for a in c["accounts"]] for c in found] == [[str(carl.id)], [str(bo.id)]]
    page = await api.get("/api/v1/conversations", params={"limit": 1}, headers=annas)
    assert [c["id"] for c in page.json()] == [found[0]["id"]]
    rest = await api.get(link_of(page, "next").removeprefix(settings.base_url), headers=annas)
    assert [c["id"] for c in rest.json()] == [found[1]["id"]]
    with_bo = found[1]["id"]
    theirs = (await api.get("/api/v1/conversations", headers=bos)).json()
    assert [c["id"] for c in theirs] == [with_bo] and theirs[0]["unread"] is False
    assert (
        await api.post(f"/api/v1/conversations/{with_bo}/read", headers=carls)
    ).status_code == 404
    read = await api.post(f"/api/v1/conversations/{with_bo}/read", headers=annas)
    assert read.status_code == 200 and read.json()["unread"] is False
    assert_conversation(read.json())
    async with db.session() as s:
        [mark] = (await s.scalars(select(ConversationMark))).all()
    assert mark.actor_id == anna.id and mark.read_id == int(answer["id"])
    gone = await api.delete(f"/api/v1/conversations/{with_bo}", headers=annas)
    assert gone.status_code == 200 and gone.json() == {}
    assert [c["id"] for c in (await api.get("/api/v1/conversations", headers=annas)).json()] == [
        found[0]["id"]
    ]
    again = await _say(api, bos, "@anna är du där?")
    back = (await api.get("/api/v1/conversations", headers=annas)).json()
    assert next((c["id"], c["last_status"]["id"], c["unread"]) for c in back) == (
        with_bo,
        again["id"],
        True,
    )


async def test_conversation_scopes(api, db, anna, bo) -> None:
    assert (await api.get("/api/v1/conversations")).status_code == 401
    writes = await bearer(db, anna, "write")
    await _say(api, writes, "@bo hej")
    reading = await bearer(db, bo, "read")
    [conversation] = (await api.get("/api/v1/conversations", headers=reading)).json()
    refused = await api.post(f"/api/v1/conversations/{conversation['id']}/read", headers=reading)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    assert (await api.delete(f"/api/v1/conversations/{conversation['id']}",
                             headers=reading)).status_code == 403  # fmt: skip
    async with db.session() as s:
        assert (await s.scalars(select(ConversationMark))).all() == []
    allowed = await bearer(db, bo, "write:conversations")
    done = await api.post(f"/api/v1/conversations/{conversation['id']}/read", headers=allowed)
    assert done.status_code == 200 and done.json()["unread"] is False
    assert (await api.get("/api/v1/conversations", headers=allowed)).status_code == 403
    assert (await api.delete("/api/v1/conversations/123", headers=allowed)).status_code == 404
