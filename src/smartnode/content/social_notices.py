"""Notifications of what people do to a member, as Mastodon apps know them: a follow (or a
request to follow, when the member approves followers by hand) and a post that mentions them
(a direct message from a project among them). One per (member, kind, follower or post), as
every notification (notices.py). Services never commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.notices import notify
from smartnode.storage.models import Actor, ContentObject

FOLLOW, FOLLOW_REQUEST, MENTION = "follow", "follow_request", "mention"


async def notify_follow(
    session: AsyncSession, follower: Actor, target: Actor, *, requested: bool, now: datetime
) -> None:
    """Tell a member who is followed (`requested`: who asks to follow them)."""
    if not target.local or target.kind != "member" or follower.id == target.id:
        return
    kind = FOLLOW_REQUEST if requested else FOLLOW
    await notify(session, target.id, kind, follower.uri, {"actor": follower.uri}, now)


async def notify_mentions(
    session: AsyncSession, obj: ContentObject, author: Actor, mentioned: Iterable[str],
    now: datetime,
) -> None:  # fmt: skip
    """Tell the live members among `mentioned` (actor URIs) that `obj` mentions them."""
    wanted = set(mentioned) - {author.uri}
    if not wanted:
        return
    members = await session.scalars(
        select(Actor.id).where(
            Actor.uri.in_(wanted), Actor.local.is_(True), Actor.kind == "member",
            Actor.deleted_at.is_(None),
        )
    )  # fmt: skip
    for member_id in list(members):
        await notify(session, member_id, MENTION, obj.uri, {"actor": author.uri}, now)


def mentioned_uris(obj: ContentObject) -> list[str]:
    """The actors a stored object's Mention tags name."""
    tags = [tag for tag in obj.tags if isinstance(tag, dict) and tag.get("type") == "Mention"]
    return [tag["href"] for tag in tags if isinstance(tag.get("href"), str)]
