"""Topic feeds: Service actors that Announce the public calls matching their filter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.federation.uris import NodeUris


async def announce_call_to_feeds(
    session: AsyncSession, uris: NodeUris, call_id: int, now: datetime
) -> int:
    """Each feed whose filter the call matches Announces it; how many did."""
    return 0
