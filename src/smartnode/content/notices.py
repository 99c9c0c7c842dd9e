"""Notifications for local members: inserted here, read through the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.stream_events import notice
from smartnode.storage.models_work import Notification
from smartnode.storage.upsert import insert_ignoring_conflicts


async def notify(
    session: AsyncSession,
    actor_id: int,
    kind: str,
    object_uri: str,
    data: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Notify a member once per (member, kind, object); True when the notification is new."""
    row = {
        "actor_id": actor_id,
        "kind": kind,
        "object_uri": object_uri,
        "data": data or {},
        "created_at": now,
        "read_at": None,
    }
    new = await insert_ignoring_conflicts(session, Notification.__table__, [row]) == 1  # type: ignore[arg-type]
    if new:
        notice(session.sync_session, actor_id, kind, object_uri)  # the streaming API's event
    return new
