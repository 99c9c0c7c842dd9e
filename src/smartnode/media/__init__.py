"""Pictures members upload: checked by their content, re-encoded without metadata, kept on
disk under SMARTNODE_MEDIA_DIR with a row each, served at /media/{file} (docs/media.md)."""

from smartnode.media.avatars import set_avatar
from smartnode.media.images import AVATAR, MEDIA, Limits, MediaRefused, PreparedImage, Shape
from smartnode.media.store import (
    discard_media,
    media_at,
    media_url,
    prepare_upload,
    save_prepared,
    store_image,
)

__all__ = [
    "AVATAR",
    "MEDIA",
    "Limits",
    "MediaRefused",
    "PreparedImage",
    "Shape",
    "discard_media",
    "media_at",
    "media_url",
    "prepare_upload",
    "save_prepared",
    "set_avatar",
    "store_image",
]
