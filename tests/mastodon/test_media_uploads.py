"""/api/v2/media and /api/v1/media: a picture uploaded as apps upload it is re-encoded without
its metadata and answered as Mastodon's MediaAttachment; the owner reads and describes it
until it is attached; anything else is refused in Mastodon's words and leaves nothing."""

from __future__ import annotations

import io

from PIL import Image

from tests.content import node_client
from tests.mastodon import assert_shape, bearer
from tests.mastodon.media_support import CAMERA, MEDIA_ENTITY, media_rows, photo, upload, uploaded


async def test_an_uploaded_photo_is_stored_without_its_metadata(api, db, settings, anna) -> None:
    headers = await bearer(db, anna, "write:media")
    original = photo(120, 80)
    assert CAMERA.encode() in original  # the upload carries its EXIF
    response = await upload(api, headers, original, description="  A red stage  ",
                            focus="0.5,-0.25")  # fmt: skip
    assert response.status_code == 200, response.text
    entity = response.json()
    assert_shape(entity, MEDIA_ENTITY)
    [row] = await media_rows(db)
    assert entity["id"] == str(row.id) and entity["type"] == "image"
    assert entity["url"] == f"{settings.base_url}/media/{row.file_name}"
    assert entity["preview_url"] == entity["url"] and entity["remote_url"] is None
    assert entity["description"] == "A red stage" and entity["blurhash"] == row.blurhash
    size = {"width": 120, "height": 80, "size": "120x80", "aspect": 1.5}
    assert entity["meta"] == {"original": size, "small": size, "focus": {"x": 0.5, "y": -0.25}}
    assert (row.owner_id, row.status_id, row.description) == (anna.id, None, "A red stage")
    assert (row.focus_x, row.focus_y, row.content_type) == (0.5, -0.25, "image/jpeg")
    served = await api.get(entity["url"].removeprefix(settings.base_url))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert CAMERA.encode() not in served.content and b"Exif" not in served.content
    with Image.open(io.BytesIO(served.content)) as stored:
        assert stored.size == (120, 80) and len(stored.getexif()) == 0
        assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert (settings.media_dir / row.file_name).read_bytes() == served.content


async def test_the_v1_path_and_a_write_token_upload_too(api, db, anna) -> None:
    headers = await bearer(db, anna, "write")
    response = await upload(api, headers, path="/api/v1/media")
    assert response.status_code == 200, response.text
    assert response.json()["description"] is None
    assert response.json()["meta"]["focus"] == {"x": 0.0, "y": 0.0}
    assert len(await media_rows(db)) == 1


async def test_the_owner_reads_and_describes_a_picture_not_yet_attached(api, db, anna, bo) -> None:
    headers = await bearer(db, anna, "write:media")
    made = await uploaded(api, headers, description="first words")
    path = f"/api/v1/media/{made['id']}"
    changed = await api.put(path, json={"description": "A red stage, lit", "focus": "-1,1"},
                            headers=headers)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "A red stage, lit"
    assert changed.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    form = await api.put(path, data={"description": "From a form"}, headers=headers)
    assert form.json()["description"] == "From a form"
    again = await api.get(path, headers=headers)
    assert again.status_code == 200 and again.json() == form.json()
    [row] = await media_rows(db)
    assert (row.description, row.focus_x, row.focus_y) == ("From a form", -1.0, 1.0)
    others = await bearer(db, bo, "write:media")
    for response in (await api.get(path, headers=others),
                     await api.put(path, json={"description": "mine now"}, headers=others),
                     await api.get("/api/v1/media/999999", headers=headers),
                     await api.get("/api/v1/media/x1", headers=headers)):  # fmt: skip
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    bad = await api.put(path, json={"focus": "2,0"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"].startswith("Validation failed: Focus")
    long = await api.put(path, json={"description": "x" * 1501}, headers=headers)
    assert long.status_code == 422 and "Description is too long" in long.json()["error"]
    [row] = await media_rows(db)
    assert (row.description, row.focus_x) == ("From a form", -1.0)


async def test_a_text_file_is_refused_and_nothing_is_left(api, db, settings, anna) -> None:
    headers = await bearer(db, anna, "write:media")
    files = {"file": ("photo.jpg", b"just some words, not a picture\n" * 10, "image/jpeg")}
    response = await api.post("/api/v2/media", files=files, headers=headers)
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: File content type is invalid"}
    blank = await api.post("/api/v2/media", data={"description": "no file"}, headers=headers)
    assert blank.status_code == 422
    assert blank.json() == {"error": "Validation failed: File can't be blank"}
    two = {"file": ("a.jpg", photo(), "image/jpeg"), "other": ("b.jpg", photo(), "image/jpeg")}
    several = await api.post("/api/v2/media", files=two, headers=headers)
    assert several.status_code == 400
    assert several.json() == {"error": "the body is not a form with one file"}
    focus = await upload(api, headers, focus="left")
    assert focus.status_code == 422 and focus.json()["error"].startswith("Validation failed")
    assert await media_rows(db) == []
    stored = list(settings.media_dir.iterdir()) if settings.media_dir.exists() else []
    assert stored == []


async def test_tokens_without_write_media_are_refused(api, db, anna) -> None:
    read = await bearer(db, anna, "read write:statuses")
    response = await upload(api, read)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    response = await upload(api, {})
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
    assert await media_rows(db) == []


async def test_a_body_past_the_media_limit_is_413(db, settings, world, anna) -> None:
    small = settings.model_copy(update={"media_max_bytes": 2048})
    async with node_client(small, world) as api:
        headers = await bearer(db, anna, "write:media")
        too_big = photo(8, 8) + b"\0" * (2048 + 1024 * 1024 + 10)
        response = await upload(api, headers, too_big)
        assert response.status_code == 413
        assert response.json()["error"].startswith("the request body is larger than")
        over = await upload(api, headers, photo(8, 8) + b"\0" * 4096)  # under the body cap
        assert over.status_code == 422
        assert over.json() == {"error": "Validation failed: File file size must be less than "
                                        "2048 bytes"}  # fmt: skip
    assert await media_rows(db) == []
