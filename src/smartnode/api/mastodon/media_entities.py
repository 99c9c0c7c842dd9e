"""Mastodon's MediaAttachment: from a picture uploaded here (a `media` row), and from the
`attachment` documents of a status (ours: the pictures' ids; others': their server's URLs,
never downloaded). One file is stored per picture, so `preview_url` is `url` and `small` is
`original`.
"""

from __future__ import annotations

from typing import Any

from smartnode.config import Settings
from smartnode.media.store import media_url
from smartnode.storage.models import ContentObject
from smartnode.storage.models_media import Media

SHOWN = 4
KINDS = {"image": "image", "video": "video", "audio": "audio"}


def _size(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}",
            "aspect": round(width / height, 6) if height else 0}  # fmt: skip


def _meta(width: Any, height: Any, focus: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        meta = {"original": _size(width, height), "small": _size(width, height)}
    if isinstance(focus, list) and len(focus) == 2:
        meta["focus"] = {"x": focus[0], "y": focus[1]}
    return meta


def media_entity(settings: Settings, media: Media) -> dict[str, Any]:
    """A picture uploaded here, as Mastodon answers its upload."""
    url = media_url(settings, media)
    return {
        "id": str(media.id), "type": "image", "url": url, "preview_url": url,
        "remote_url": None, "preview_remote_url": None, "text_url": None,
        "meta": _meta(media.width, media.height, [media.focus_x, media.focus_y]),
        "description": media.description or None, "blurhash": media.blurhash,
    }  # fmt: skip


def status_media(obj: ContentObject) -> list[dict[str, Any]]:
    """A status's `media_attachments`: by the `mediaType`'s kind (`image/…` an image), any
    other file as Mastodon's `unknown` (a remote file it has not fetched)."""
    ids = obj.extra.get("media_ids") if obj.local else None
    found = []
    for index, item in enumerate(obj.attachments[:SHOWN]):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        kind = KINDS.get(str(item.get("mediaType", "")).partition("/")[0], "unknown")
        own = isinstance(ids, list) and index < len(ids)
        found.append({
            "id": str(ids[index]) if own and ids else str(obj.id * 10 + index),
            "type": kind, "url": item["url"],
            "preview_url": item["url"], "remote_url": None if obj.local else item["url"],
            "preview_remote_url": None, "text_url": None,
            "meta": _meta(item.get("width"), item.get("height"), item.get("focalPoint")),
            "description": item.get("name") or None, "blurhash": item.get("blurhash"),
        })  # fmt: skip
    return found
