"""Helpers of the media tests: real pictures made with Pillow, uploads through the API, and
what the node stored of them."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from sqlalchemy import select

from smartnode.storage.db import Database
from smartnode.storage.models_media import Media

CAMERA = "Spy Camera 3000"
MEDIA_ENTITY: dict[str, Any] = {
    "id": str, "type": str, "url": str, "preview_url": str, "remote_url": type(None),
    "preview_remote_url": type(None), "text_url": type(None), "meta": dict,
    "description": (str, type(None)), "blurhash": str,
}  # fmt: skip


def photo(
    width: int = 120, height: int = 80, colour: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A JPEG as a phone makes it: with EXIF (camera, GPS position, time)."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0132] = "2026:12:06 03:00:00"  # DateTime
    exif.get_ifd(0x8825)[2] = (59.0, 19.0, 48.0)  # GPSLatitude
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def upload(api: Any, headers: dict[str, str], data: bytes | None = None,
                 path: str = "/api/v2/media", **fields: str) -> Any:  # fmt: skip
    """POST a picture as apps do (multipart `file`, `description`, `focus`)."""
    files = {"file": ("IMG_0001.jpg", data if data is not None else photo(), "image/jpeg")}
    return await api.post(path, files=files, data=fields, headers=headers)


async def uploaded(api: Any, headers: dict[str, str], **fields: str) -> dict[str, Any]:
    response = await upload(api, headers, **fields)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def media_rows(db: Database) -> list[Media]:
    async with db.session() as s:
        return list((await s.scalars(select(Media).order_by(Media.id))).all())
