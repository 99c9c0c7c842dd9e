"""/media/{file}: the stored bytes with their content type, never sniffed, cached for a year;
404 for any other name, so no path leaves the media folder."""

from __future__ import annotations

import pytest

from smartnode.media import store_image
from tests.conftest import make_member
from tests.media import metadata_of, photo_with_gps, picture_bytes


async def test_a_stored_picture_is_served_with_its_type_and_safe_headers(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        jpeg = await store_image(s, settings, anna, photo_with_gps())
        png = await store_image(s, settings, anna, picture_bytes("GIF"))
    served = await client.get(f"/media/{jpeg.file_name}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.content == (settings.media_dir / jpeg.file_name).read_bytes()
    assert metadata_of(served.content)["exif"] == {}
    other = await client.get(f"/media/{png.file_name}")
    assert other.headers["content-type"] == "image/png" and other.content.startswith(b"\x89PNG")
    head = await client.head(f"/media/{jpeg.file_name}")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/media/" + "A" * 32 + ".jpg",  # the right shape, no such file
        "/media/secret.key",
        "/media/..%2Fsecret.key",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/%2e%2e/secret.key",
        "/media/.%2e",
        "/media/" + "A" * 32 + ".jpg%00.png",
        "/media/" + "A" * 32 + ".svg",
        "/media/" + "A" * 32 + ".JPG",
        "/media/",
    ],
)
async def test_unknown_and_crafted_names_are_404(client, db, settings, path) -> None:
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / "secret.key").write_text("not for you")
    (settings.data_dir / "secret.key").write_text("nor this")
    response = await client.get(path)
    assert response.status_code == 404
    assert b"not for you" not in response.content and b"nor this" not in response.content
