"""Stored pictures: a row and a file under SMARTNODE_MEDIA_DIR that follow the transaction
(written only if it commits, removed only once a discard commits), found again by address."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smartnode.config import load_settings
from smartnode.errors import ValidationFailed
from smartnode.media import (
    MediaRefused,
    discard_media,
    media_at,
    media_url,
    store_image,
)
from smartnode.media.storage import FILE_NAME
from smartnode.storage.models_media import Media
from tests.conftest import make_member
from tests.media import metadata_of, photo_with_gps, png_bomb


class Boom(Exception):
    """Something later in the same transaction fails."""


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def count_media(db) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(Media)) or 0)


def test_the_media_folder_is_in_the_data_folder_unless_set(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).media_dir == tmp_path / "media"
    assert load_settings(data_dir=tmp_path, media_dir=tmp_path / "x").media_dir == tmp_path / "x"
    assert load_settings(data_dir=tmp_path).media_max_bytes == 10 * 1024 * 1024


async def test_a_stored_picture_has_a_row_and_a_file_of_its_own(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        media = await store_image(s, settings, anna, photo_with_gps(), " Anna on stage ")
    assert FILE_NAME.match(media.file_name) and media.file_name.endswith(".jpg")
    assert files_in(settings.media_dir) == [media.file_name]
    data = (settings.media_dir / media.file_name).read_bytes()
    assert metadata_of(data)["exif"] == {} and media.size == len(data)
    async with db.session() as s:
        row = await s.scalar(select(Media))
        assert row is not None and row.owner_id == anna.id
        assert (row.content_type, row.width, row.height) == ("image/jpeg", 40, 60)
        assert row.description == "Anna on stage" and len(row.blurhash) >= 6
        assert media_url(settings, row) == f"https://se.smart.test/media/{row.file_name}"
        assert (await media_at(s, settings, media_url(settings, row))).id == row.id
        assert await media_at(s, settings, f"https://else.example/media/{row.file_name}") is None
        assert await media_at(s, settings, "https://se.smart.test/media/../secret.key") is None


async def test_a_transaction_that_fails_leaves_no_file_and_no_row(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    with pytest.raises(Boom):
        async with db.session() as s, s.begin():
            await store_image(s, settings, anna, photo_with_gps())
            assert len(files_in(settings.media_dir)) == 1
            raise Boom
    assert files_in(settings.media_dir) == [] and await count_media(db) == 0


async def test_refused_uploads_leave_nothing_behind(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    for data in (png_bomb(), b"not a picture"):
        with pytest.raises(MediaRefused):
            async with db.session() as s, s.begin():
                await store_image(s, settings, anna, data)
    with pytest.raises(ValidationFailed):
        async with db.session() as s, s.begin():
            await store_image(s, settings, anna, photo_with_gps(), "x" * 1501)
    assert files_in(settings.media_dir) == [] and await count_media(db) == 0


async def test_a_discarded_picture_goes_when_the_discard_commits(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        media = await store_image(s, settings, anna, photo_with_gps())
    with pytest.raises(Boom):
        async with db.session() as s, s.begin():
            await discard_media(s, settings, await s.get(Media, media.id))
            raise Boom
    assert files_in(settings.media_dir) == [media.file_name] and await count_media(db) == 1
    async with db.session() as s, s.begin():
        await discard_media(s, settings, await s.get(Media, media.id))
        assert files_in(settings.media_dir) == [media.file_name]  # until it commits
    assert files_in(settings.media_dir) == [] and await count_media(db) == 0


async def test_a_session_used_again_after_a_commit_keeps_what_it_stored(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s:
        async with s.begin():
            first = await store_image(s, settings, anna, photo_with_gps(), now=datetime.now(UTC))
            kept = first.file_name
        with pytest.raises(Boom):
            async with s.begin():
                second = await store_image(s, settings, anna, photo_with_gps())
                assert len(files_in(settings.media_dir)) == 2 and second.file_name
                raise Boom
    assert files_in(settings.media_dir) == [kept] and await count_media(db) == 1
