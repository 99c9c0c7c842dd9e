"""A member's preferences as their Mastodon apps read them (GET /api/v1/preferences): what a
new post defaults to and how much of a timeline to show unfolded.

Members post publicly unless they choose otherwise, in the language of their profile; nothing
is hidden behind a warning by default (the node has no such settings of its own yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.errors import NotFound
from smartnode.storage.models import Actor

SCOPE = "read:accounts"


@dataclass(frozen=True, slots=True)
class ClientPreferences:
    """Mastodon's Preferences, in our words."""

    default_visibility: str  # public | unlisted | private | direct
    default_sensitive: bool
    default_language: str | None
    expand_media: str  # default | show_all | hide_all
    expand_spoilers: bool


async def client_preferences(session: AsyncSession, principal: Principal) -> ClientPreferences:
    """The preferences of the member the principal acts for (within `read:accounts`)."""
    member = await session.scalar(
        select(Actor).filter_by(
            id=principal.member_id(SCOPE), local=True, kind="member", deleted_at=None
        )
    )
    if member is None:
        raise NotFound("no such member")
    return ClientPreferences(
        default_visibility="public",
        default_sensitive=False,
        default_language=member.language or None,
        expand_media="default",
        expand_spoilers=False,
    )
