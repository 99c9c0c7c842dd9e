"""PUT /api/v1/statuses/:id (the member's own post, through the posts use case: Update{Note}
to the followers), /history (every version, oldest first) and /source; someone else's status
is not found, as on Mastodon."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models import ContentObject
from smartnode.storage.models_marks import StatusVersion
from tests.content import activities, add_follower, fan_out, make_post
from tests.mastodon import TIME, assert_account, assert_status, bearer
from tests.mastodon.conftest import ALICE

EDIT = ("content", "spoiler_text", "sensitive", "created_at", "account", "media_attachments",
        "emojis")  # fmt: skip


async def versions(db, object_id: int) -> list[tuple[str, str | None]]:
    async with db.session() as s:
        rows = await s.scalars(select(StatusVersion).where(StatusVersion.object_id == object_id))
        return [(v.content, v.summary) for v in rows.all()]


async def test_an_edit_changes_the_post_sends_an_update_and_keeps_the_history(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    headers = await bearer(db, anna, "write:statuses read:statuses")
    posted = await api.post("/api/v1/statuses", json={"status": "Hej"}, headers=headers)
    status_id = posted.json()["id"]
    response = await api.put(
        f"/api/v1/statuses/{status_id}", headers=headers,
        json={"status": "Hej igen", "spoiler_text": "varning", "language": "sv"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    out = response.json()
    assert_status(out, viewer=True)
    assert "Hej igen" in out["content"] and out["spoiler_text"] == "varning"
    assert out["language"] == "sv" and out["sensitive"] is True
    assert out["edited_at"] is not None and TIME.match(out["edited_at"])
    async with db.session() as s:
        row = await s.get(ContentObject, int(status_id))
        assert row is not None and "Hej igen" in row.content and row.summary == "varning"
    assert [(c, w) for c, w in await versions(db, int(status_id))] == [("<p>Hej</p>", None)]
    [update] = await activities(db, "Update")
    note = update.document["object"]
    assert note["id"] == out["uri"] and "Hej igen" in note["content"]
    assert note["summary"] == "varning" and note["sensitive"] is True
    assert await fan_out(db, settings, update) == ["https://mastodon.example/inbox"]

    history = await api.get(f"/api/v1/statuses/{status_id}/history")
    assert history.status_code == 200
    first, now = history.json()
    for version in (first, now):
        assert set(EDIT) <= set(version) and TIME.match(version["created_at"])
        assert_account(version["account"])
    assert (first["content"], first["spoiler_text"], first["sensitive"]) == (
        "<p>Hej</p>", "", False
    )  # fmt: skip
    assert "Hej igen" in now["content"] and now["spoiler_text"] == "varning"
    source = await api.get(f"/api/v1/statuses/{status_id}/source", headers=headers)
    assert source.json() == {"id": status_id, "text": "Hej igen", "spoiler_text": "varning"}


async def test_an_unedited_status_has_one_version(api, db, settings, anna) -> None:
    post = await make_post(db, settings, anna)
    history = await api.get(f"/api/v1/statuses/{post.id}/history")
    [only] = history.json()
    assert only["content"] == post.content


async def test_someone_elses_status_cannot_be_edited(api, db, settings, anna, bo) -> None:
    post = await make_post(db, settings, bo, content="Bo's")
    headers = await bearer(db, anna, "write:statuses read:statuses")
    response = await api.put(f"/api/v1/statuses/{post.id}", json={"status": "Mine"},
                             headers=headers)  # fmt: skip
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    response = await api.get(f"/api/v1/statuses/{post.id}/source", headers=headers)
    assert response.status_code == 404
    assert await activities(db, "Update") == [] and await versions(db, post.id) == []
    async with db.session() as s:
        row = await s.get(ContentObject, post.id)
        assert row is not None and "Bo's" in row.content


async def test_edit_scopes_and_bad_edits(api, db, settings, anna) -> None:
    post = await make_post(db, settings, anna)
    read_only = await bearer(db, anna, "read write:favourites")
    response = await api.put(f"/api/v1/statuses/{post.id}", json={"status": "x"},
                             headers=read_only)  # fmt: skip
    assert response.status_code == 403
    assert (await api.put(f"/api/v1/statuses/{post.id}", json={"status": "x"})).status_code == 401
    headers = await bearer(db, anna, "write:statuses")
    for body in ({"status": "  "}, {"status": "x", "media_ids": ["1"]},
                 {"status": "x", "language": "klingon"}, {"status": "x" * 20001}):  # fmt: skip
        response = await api.put(f"/api/v1/statuses/{post.id}", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["error"].startswith("Validation failed"), body
    assert await activities(db, "Update") == [] and await versions(db, post.id) == []
