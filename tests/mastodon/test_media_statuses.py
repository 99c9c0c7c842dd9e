"""Statuses with pictures: `media_ids[]` attaches uploaded pictures (at most four, the
poster's own, not attached before), the Status lists them, the Create{Note} carries them as
Mastodon sends them; remote pictures show as remote attachments; `only_media` filters."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models import ContentObject
from smartnode.storage.models_media import Media
from tests.content import activities, activity, add_follower, fan_out, objects, remote_note
from tests.inbox import receive
from tests.mastodon import assert_shape, assert_status, bearer
from tests.mastodon.conftest import ALICE
from tests.mastodon.media_support import MEDIA_ENTITY, media_rows, uploaded

INBOX = "https://mastodon.example/inbox"


async def test_a_status_with_pictures_is_stored_shown_and_delivered(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox=INBOX)
    headers = await bearer(db, anna, "write:media write:statuses")
    first = await uploaded(api, headers, description="The stage", focus="0.25,0.5")
    second = await uploaded(api, headers)
    form = {"status": "Kvällens konsert", "media_ids[]": [second["id"], first["id"]]}
    response = await api.post("/api/v1/statuses", data=form, headers=headers)
    assert response.status_code == 200, response.text
    status = response.json()
    assert_status(status, viewer=True)
    shown = status["media_attachments"]
    assert [m["id"] for m in shown] == [second["id"], first["id"]]
    for entity, made in zip(shown, (second, first), strict=True):
        assert_shape(entity, MEDIA_ENTITY)
        assert {k: entity[k] for k in ("type", "url", "blurhash", "description", "meta")} == {
            k: made[k] for k in ("type", "url", "blurhash", "description", "meta")
        }
    [row] = await objects(db)
    rows = await media_rows(db)
    assert {m.status_id for m in rows} == {row.id}
    by_id = {str(m.id): m for m in rows}
    expected = [
        {"type": "Document", "mediaType": "image/jpeg", "url": second["url"],
         "blurhash": by_id[second["id"]].blurhash, "focalPoint": [0.0, 0.0],
         "width": 120, "height": 80},
        {"type": "Document", "mediaType": "image/jpeg", "url": first["url"],
         "blurhash": by_id[first["id"]].blurhash, "focalPoint": [0.25, 0.5],
         "width": 120, "height": 80, "name": "The stage"},
    ]  # fmt: skip
    assert row.attachments == expected
    [create] = await activities(db, "Create")
    assert await fan_out(db, settings, create) == [INBOX]
    assert create.document["object"]["attachment"] == expected
    terms = create.document["@context"][-1]
    assert terms["blurhash"] == "toot:blurhash"
    assert terms["focalPoint"] == {"@container": "@list", "@id": "toot:focalPoint"}
    note = await api.get(row.uri.removeprefix(settings.base_url),
                         headers={"Accept": "application/activity+json"})  # fmt: skip
    assert note.json()["attachment"] == expected
    read = await api.get(f"/api/v1/statuses/{status['id']}")
    assert read.json()["media_attachments"] == shown
    # attached: no longer the owner's to read or change, nor to attach again
    for answer in (await api.get(f"/api/v1/media/{first['id']}", headers=headers),
                   await api.put(f"/api/v1/media/{first['id']}", json={"description": "x"},
                                 headers=headers)):  # fmt: skip
        assert answer.status_code == 404
    again = await api.post("/api/v1/statuses", headers=headers,
                           json={"status": "Again", "media_ids": [first["id"]]})  # fmt: skip
    assert again.status_code == 422
    assert again.json() == {
        "error": f"Media {first['id']} not found or already attached to another post"
    }
    assert len(await objects(db)) == 1


async def test_someone_elses_picture_is_refused_and_nothing_is_posted(api, db, anna, bo) -> None:
    theirs = await uploaded(api, await bearer(db, bo, "write"))
    headers = await bearer(db, anna, "write")
    mine = await uploaded(api, headers)
    body = {"status": "Not mine", "media_ids": [mine["id"], theirs["id"], "77x"]}
    response = await api.post("/api/v1/statuses", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json() == {
        "error": f"Media {theirs['id']}, 77x not found or already attached to another post"
    }
    assert await objects(db) == [] and await activities(db, "Create") == []
    assert [m.status_id for m in await media_rows(db)] == [None, None]


async def test_five_pictures_are_refused(api, db, anna) -> None:
    headers = await bearer(db, anna, "write")
    ids = [(await uploaded(api, headers))["id"] for _ in range(5)]
    response = await api.post("/api/v1/statuses", json={"status": "Many", "media_ids": ids},
                              headers=headers)  # fmt: skip
    assert response.status_code == 422
    assert response.json() == {"error": "Cannot attach more than 4 files"}
    assert await objects(db) == []
    assert all(m.status_id is None for m in await media_rows(db))
    four = await api.post("/api/v1/statuses", json={"status": "Four", "media_ids": ids[:4]},
                          headers=headers)  # fmt: skip
    assert four.status_code == 200
    assert [m["id"] for m in four.json()["media_attachments"]] == ids[:4]


def mastodon_note(n: int, attachment: list, anna_uri: str) -> dict:
    """A public Note of Alice's that mentions Anna (so this node keeps it)."""
    return remote_note(f"{ALICE}/statuses/{n}", ALICE, attachment=attachment,
                       content=f"<p>Bilder {n} @anna</p>",
                       tag=[{"type": "Mention", "href": anna_uri, "name": "@anna"}])  # fmt: skip


async def test_a_remote_notes_pictures_show_as_remote_attachments(
    api, db, settings, world, anna
) -> None:
    picture = {"type": "Document", "mediaType": "image/jpeg",
               "url": "https://files.mastodon.example/media/a.jpg", "name": "A cat",
               "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", "focalPoint": [0.1, -0.2],
               "width": 640, "height": 480}  # fmt: skip
    hostile = [
        {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"},
        {"type": "Document", "mediaType": "image/png", "url": "data:image/png;base64,AAAA"},
        {"type": "Image", "mediaType": "image/png", "url": "https://files.mastodon.example/b.png",
         "width": "640", "height": -1, "blurhash": "<script>", "focalPoint": [5, 0]},
    ]  # fmt: skip
    note = mastodon_note(1, [picture, *hostile], anna.uri)
    outcome = await receive(db, settings, world, activity("Create", ALICE, note, f"{note['id']}/a"))
    assert outcome.status == "processed", outcome.reason
    async with db.session() as s:
        row = await s.scalar(select(ContentObject).where(ContentObject.uri == note["id"]))
    assert row is not None
    response = await api.get(f"/api/v1/statuses/{row.id}")
    assert response.status_code == 200, response.text
    cat, plain = response.json()["media_attachments"]
    assert cat["type"] == "image" and cat["url"] == cat["remote_url"] == picture["url"]
    assert cat["preview_url"] == picture["url"] and cat["description"] == "A cat"
    assert cat["blurhash"] == picture["blurhash"]
    assert cat["meta"]["original"] == {"width": 640, "height": 480, "size": "640x480",
                                       "aspect": round(640 / 480, 6)}  # fmt: skip
    assert cat["meta"]["focus"] == {"x": 0.1, "y": -0.2}
    assert plain["url"] == "https://files.mastodon.example/b.png" and plain["type"] == "image"
    assert plain["meta"] == {} and plain["blurhash"] is None
    async with db.session() as s:
        assert await s.scalar(select(Media.id)) is None  # nothing was downloaded


async def test_only_media_lists_statuses_with_pictures(api, db, settings, world, anna) -> None:
    headers = await bearer(db, anna, "write read")
    made = await uploaded(api, headers)
    text = await api.post("/api/v1/statuses", json={"status": "Words"}, headers=headers)
    pictured = await api.post("/api/v1/statuses", headers=headers,
                              json={"status": "Bild", "media_ids": [made["id"]]})  # fmt: skip
    assert text.status_code == pictured.status_code == 200
    for n, attachment in (
        (1, []),
        (
            2,
            [
                {
                    "type": "Document",
                    "mediaType": "image/jpeg",
                    "url": "https://files.mastodon.example/c.jpg",
                }
            ],
        ),
    ):
        note = mastodon_note(n, attachment, anna.uri)
        outcome = await receive(db, settings, world,
                                activity("Create", ALICE, note, f"{note['id']}/a"))  # fmt: skip
        assert outcome.status == "processed", outcome.reason
    mine = f"/api/v1/accounts/{anna.id}/statuses"
    assert [s["id"] for s in (await api.get(mine, params={"only_media": "true"})).json()] == [
        pictured.json()["id"]
    ]
    assert len((await api.get(mine)).json()) == 2
    public = (await api.get("/api/v1/timelines/public", params={"only_media": "true"})).json()
    assert [s["content"] for s in public] == ["<p>Bilder 2 @anna</p>",
                                              pictured.json()["content"]]  # fmt: skip
    assert all(s["media_attachments"] for s in public)
    assert len((await api.get("/api/v1/timelines/public")).json()) == 4


async def test_deleting_a_status_removes_its_pictures(api, db, settings, anna) -> None:
    headers = await bearer(db, anna, "write")
    made = await uploaded(api, headers, description="Gone soon")
    posted = await api.post("/api/v1/statuses", headers=headers,
                            json={"status": "Bild", "media_ids": [made["id"]]})  # fmt: skip
    [row] = await media_rows(db)
    assert (settings.media_dir / row.file_name).is_file()
    deleted = await api.delete(f"/api/v1/statuses/{posted.json()['id']}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    assert [m["id"] for m in deleted.json()["media_attachments"]] == [made["id"]]  # as it was
    assert await media_rows(db) == []
    assert not (settings.media_dir / row.file_name).exists()
    assert (await api.get(made["url"].removeprefix(settings.base_url))).status_code == 404
