"""GET /api/v1/statuses/:id/card (we make no link previews: `{}` as Mastodon answers a status
without one, and `card: null` in statuses), and statuses of pictures only (accepted as
Mastodon accepts them; no text and no picture is a 422 that leaves nothing behind)."""

from __future__ import annotations

from tests.content import activities, make_post, objects
from tests.mastodon import assert_status, bearer
from tests.mastodon.media_support import media_rows, uploaded


async def test_a_status_has_no_card(api, db, settings, anna, bo) -> None:
    public = await make_post(db, settings, anna, content="See https://example.org/page")
    card = await api.get(f"/api/v1/statuses/{public.id}/card")
    assert card.status_code == 200 and card.json() == {}
    assert (await api.get(f"/api/v1/statuses/{public.id}")).json()["card"] is None
    private = await make_post(db, settings, anna, content="Ours", visibility="followers")
    assert (await api.get(f"/api/v1/statuses/{private.id}/card")).status_code == 404
    bos = await bearer(db, bo, "read")
    assert (await api.get(f"/api/v1/statuses/{private.id}/card", headers=bos)).status_code == 404
    annas = await bearer(db, anna, "read")
    assert (await api.get(f"/api/v1/statuses/{private.id}/card", headers=annas)).json() == {}
    assert (await api.get("/api/v1/statuses/x1/card")).status_code == 404
    writing = await bearer(db, anna, "write")
    refused = await api.get(f"/api/v1/statuses/{public.id}/card", headers=writing)
    assert refused.status_code == 403


async def test_a_status_of_pictures_only_is_accepted(api, db, settings, anna) -> None:
    headers = await bearer(db, anna, "write:media write:statuses")
    picture = await uploaded(api, headers, description="A red square")
    response = await api.post("/api/v1/statuses", headers=headers,
                              data={"status": "", "media_ids[]": [picture["id"]]})  # fmt: skip
    assert response.status_code == 200, response.text
    status = response.json()
    assert_status(status, viewer=True)
    assert status["content"] == "" and status["card"] is None
    assert [m["id"] for m in status["media_attachments"]] == [picture["id"]]
    [row] = await objects(db)
    assert row.content == "" and len(row.attachments) == 1
    [create] = await activities(db, "Create")
    assert create.document["object"]["attachment"][0]["name"] == "A red square"


async def test_a_status_without_text_or_pictures_is_refused(api, db, anna) -> None:
    headers = await bearer(db, anna, "write:media write:statuses")
    for form in ({"status": ""}, {"status": "  ", "media_ids[]": []}, {}):
        refused = await api.post("/api/v1/statuses", data=form, headers=headers)
        assert refused.status_code == 422
        assert refused.json() == {"error": "Validation failed: Text can't be blank"}
    picture = await uploaded(api, headers)
    reading = await bearer(db, anna, "read")
    denied = await api.post("/api/v1/statuses", headers=reading,
                            data={"media_ids[]": [picture["id"]]})  # fmt: skip
    assert denied.status_code == 403
    assert await objects(db) == []
    assert [m.status_id for m in await media_rows(db)] == [None]
