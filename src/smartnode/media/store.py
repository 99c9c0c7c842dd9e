"""Stored pictures as the rest of the node uses them: store one, its address, find it again by
its address, discard it. Services never commit; the file follows the caller's transaction
(media/storage.py).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import Settings
from smartnode.errors import ValidationFailed
from smartnode.media.images import MEDIA, Limits, PreparedImage, Shape, prepare_image
from smartnode.media.storage import FILE_NAME, discarded_in, new_file_name, write_file, written_in
from smartnode.storage.models import Actor
from smartnode.storage.models_media import Media

#: The longest alt text (as Mastodon's).
MAX_DESCRIPTION = 1500
#: How many pictures are decoded at once (per process).
_DECODING = threading.BoundedSemaphore(2)
#: Where stored pictures are served.
MEDIA_PATH = "/media"


def limits_of(settings: Settings) -> Limits:
    """The node's upload limits."""
    return Limits(max_bytes=settings.media_max_bytes, max_pixels=settings.media_max_pixels)


async def prepare_upload(settings: Settings, data: bytes, shape: Shape = MEDIA) -> PreparedImage:
    """`data` checked and re-encoded (in a worker thread: decoding is CPU work);
    MediaRefused when it is not a picture the node takes."""
    return await anyio.to_thread.run_sync(_prepare_in_turn, data, limits_of(settings), shape)


def _prepare_in_turn(data: bytes, limits: Limits, shape: Shape) -> PreparedImage:
    """prepare_image, a few at a time: each may hold a large decoded picture in memory."""
    with _DECODING:
        return prepare_image(data, limits, shape)


async def save_prepared(
    session: AsyncSession, settings: Settings, owner: Actor, picture: PreparedImage,
    description: str = "", *, now: datetime | None = None,
) -> Media:  # fmt: skip
    """Write a prepared picture and record it as `owner`'s, with its alt text."""
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(f"the description is longer than {MAX_DESCRIPTION} characters")
    name = new_file_name(picture.extension)
    await anyio.to_thread.run_sync(write_file, settings, name, picture.data)
    written_in(session.sync_session, settings, name)
    media = Media(
        owner_id=owner.id,
        file_name=name,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        blurhash=picture.blurhash,
        description=description,
        size=len(picture.data),
        created_at=now or datetime.now(UTC),
    )
    session.add(media)
    await session.flush()
    return media


async def store_image(
    session: AsyncSession, settings: Settings, owner: Actor, data: bytes, description: str = "",
    *, shape: Shape = MEDIA, now: datetime | None = None,
) -> Media:  # fmt: skip
    """An uploaded picture checked, re-encoded, written and recorded as `owner`'s (the file
    is removed again if the transaction does not commit); MediaRefused when refused."""
    picture = await prepare_upload(settings, data, shape)
    return await save_prepared(session, settings, owner, picture, description, now=now)


def media_url(settings: Settings, media: Media) -> str:
    """The address a stored picture is served at."""
    return f"{settings.base_url}{MEDIA_PATH}/{media.file_name}"


async def media_at(session: AsyncSession, settings: Settings, url: str | None) -> Media | None:
    """The stored picture served at `url`, when it is one of this node's."""
    prefix = f"{settings.base_url}{MEDIA_PATH}/"
    if not url or not url.startswith(prefix) or not FILE_NAME.match(url[len(prefix) :]):
        return None
    found = await session.scalar(select(Media).where(Media.file_name == url[len(prefix) :]))
    return found


async def discard_media(session: AsyncSession, settings: Settings, media: Media) -> None:
    """Forget a stored picture; its file goes once the transaction commits."""
    discarded_in(session.sync_session, settings, media.file_name)
    await session.delete(media)
    await session.flush()
