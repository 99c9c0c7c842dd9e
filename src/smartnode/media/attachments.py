"""Pictures attached to statuses: uploaded first (unattached, their owner's to describe), then
attached to one status when it is posted, and carried in its Note's `attachment` as Mastodon
sends them. Services never commit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import Settings
from smartnode.errors import NotFound, ValidationFailed
from smartnode.media.store import MAX_DESCRIPTION, discard_media, media_url, store_image
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_media import Media

#: Pictures one status carries (as Mastodon's).
MAX_PER_STATUS = 4
NOT_FOUND = "Record not found"


def focus_of(value: str | None) -> tuple[float, float] | None:
    """Mastodon's focal point `x,y` (each -1 to 1); None when not given; 422 when malformed."""
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    try:
        x, y = (float(part) for part in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        x = y = math.nan
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise ValidationFailed("Validation failed: Focus must be two numbers from -1 to 1: x,y")
    return x, y


def _described(description: str | None) -> str | None:
    if description is None:
        return None
    if len(description.strip()) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION} characters)"
        )
    return description.strip()


async def upload_media(
    session: AsyncSession, settings: Settings, owner: Actor, data: bytes,
    description: str | None, focus: str | None, now: datetime,
) -> Media:  # fmt: skip
    """A picture uploaded by `owner` for a status to come: checked, re-encoded without its
    metadata, stored unattached (MediaRefused, ValidationFailed: nothing is written)."""
    point = focus_of(focus)
    alt = _described(description) or ""
    media = await store_image(session, settings, owner, data, alt, now=now)
    if point is not None:
        media.focus_x, media.focus_y = point
    await session.flush()
    return media


async def own_unattached(session: AsyncSession, owner: Actor, media_id: str) -> Media:
    """One of `owner`'s pictures not yet attached to a status; NotFound for any other."""
    if not media_id.isdigit() or len(media_id) > 18:
        raise NotFound(NOT_FOUND)
    media = await session.get(Media, int(media_id))
    if media is None or media.owner_id != owner.id or media.status_id is not None:
        raise NotFound(NOT_FOUND)
    return media


def describe_media(media: Media, description: str | None, focus: str | None) -> None:
    """Change the alt text and/or the focal point of an unattached picture."""
    point = focus_of(focus)
    alt = _described(description)
    if alt is not None:
        media.description = alt
    if point is not None:
        media.focus_x, media.focus_y = point


def media_ids_of(value: Any) -> list[str]:
    """`media_ids[]` as an app sends it (a list, one id, numbers or strings), as strings."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    found = [str(item).strip() for item in items if isinstance(item, str | int)]
    return [item for item in found if item]


async def attachable_media(session: AsyncSession, owner: Actor, ids: Sequence[str]) -> list[Media]:
    """The pictures `ids` names, in that order: at most four, each `owner`'s and not attached
    yet (422 in Mastodon's words otherwise)."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_PER_STATUS:
        raise ValidationFailed(f"Cannot attach more than {MAX_PER_STATUS} files")
    if not wanted:
        return []
    numbers = [int(i) for i in wanted if i.isdigit() and len(i) <= 18]
    rows = await session.scalars(  # locked: two statuses at once cannot take the same picture
        select(Media)
        .where(Media.id.in_(numbers), Media.owner_id == owner.id, Media.status_id.is_(None))
        .with_for_update()
    )
    found = {str(media.id): media for media in rows.all()}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationFailed(
            f"Media {', '.join(missing)} not found or already attached to another post"
        )
    return [found[i] for i in wanted]


def attachment_to_ap(settings: Settings, media: Media) -> dict[str, Any]:
    """A picture in a Note's `attachment`, as Mastodon sends it (alt text in `name`)."""
    doc: dict[str, Any] = {
        "type": "Document",
        "mediaType": media.content_type,
        "url": media_url(settings, media),
        "blurhash": media.blurhash,
        "focalPoint": [media.focus_x, media.focus_y],
        "width": media.width,
        "height": media.height,
    }
    if media.description:
        doc["name"] = media.description
    return doc


def attach_media(media: Sequence[Media], obj: ContentObject) -> None:
    """The pictures now belong to the status `obj` (no longer changeable); their ids are kept
    in the status, in order, so that apps see the ids they uploaded."""
    for item in media:
        item.status_id = obj.id
    if media:
        obj.extra = {**obj.extra, "media_ids": [item.id for item in media]}


async def discard_status_media(
    session: AsyncSession, settings: Settings, obj: ContentObject
) -> None:
    """The pictures attached to a deleted status go: their rows now, their files once the
    transaction commits."""
    rows = await session.scalars(select(Media).where(Media.status_id == obj.id))
    for media in rows.all():
        await discard_media(session, settings, media)
