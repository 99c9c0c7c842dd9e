"""A member's profile picture: stored here, it becomes the actor's `icon`.

The caller sends the Update{Person} in the same transaction (member_cases.change_profile or
change_whole_profile do), so followers' servers refresh the picture.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import WRITE_ACCOUNTS, acting_member
from smartnode.config import Settings
from smartnode.errors import Forbidden
from smartnode.media.images import PreparedImage
from smartnode.media.store import discard_media, media_at, media_url, save_prepared
from smartnode.storage.models import Actor


async def set_avatar(
    session: AsyncSession, settings: Settings, principal: Principal, owner: Actor,
    picture: PreparedImage | None, now: datetime,
) -> str | None:  # fmt: skip
    """The member (or an admin) gives `owner` a new picture (None: no picture); the previous
    one, when stored here, is discarded. Returns the picture's address."""
    if not principal.is_admin:
        acting = await acting_member(session, principal, WRITE_ACCOUNTS)
        if acting.id != owner.id:
            raise Forbidden(f"only {owner.username!r} or an admin may change this picture")
    previous = await media_at(session, settings, owner.icon_url)
    if previous is not None and previous.owner_id == owner.id:
        await discard_media(session, settings, previous)
    owner.icon_url = None
    if picture is not None:
        media = await save_prepared(session, settings, owner, picture, now=now)
        owner.icon_url = media_url(settings, media)
    owner.updated_at = now
    return owner.icon_url
