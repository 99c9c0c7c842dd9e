"""Who may read a non-public post or activity: an actor it is addressed to, or a follower when
it is addressed to its author's followers. Everyone else is told it does not exist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import ACCEPTED
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, Follow


async def in_audience(
    session: AsyncSession, recipients: list[str], author: Actor, reader_uri: str | None
) -> bool:
    """True when the reader is named in `recipients`, or follows `author` and its followers are."""
    if reader_uri is None:
        return False
    if reader_uri in recipients:
        return True
    if NodeUris.collection(author.uri, "followers") not in recipients:
        return False
    found = await session.scalar(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(
            Follow.followed_id == author.id,
            Follow.state == ACCEPTED,
            Actor.uri == reader_uri,
            Actor.deleted_at.is_(None),
        )
    )
    return found is not None
