"""The versions of an edited status: before each edit (content/announcements.py) the status as
it was is kept, so its history can be read back, oldest first, ending with how it is now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.storage.models import ContentObject
from smartnode.storage.models_marks import StatusVersion


@dataclass(frozen=True, slots=True)
class Version:
    """A status as it was (or is) at one moment."""

    content: str
    summary: str | None
    sensitive: bool
    language: str | None
    attachments: list[dict[str, Any]]
    created_at: datetime


async def keep_version(session: AsyncSession, obj: ContentObject) -> None:
    """Keep the status as it is now, before it changes."""
    session.add(
        StatusVersion(
            object_id=obj.id, content=obj.content or "", summary=obj.summary,
            sensitive=obj.sensitive, language=obj.language, attachments=list(obj.attachments),
            created_at=obj.updated_at,
        )
    )  # fmt: skip
    await session.flush()


async def history(session: AsyncSession, obj: ContentObject) -> list[Version]:
    """Every version of the status, oldest first; the last is the status as it is now."""
    rows = await session.scalars(
        select(StatusVersion).where(StatusVersion.object_id == obj.id).order_by(StatusVersion.id)
    )
    kept = [Version(v.content, v.summary, v.sensitive, v.language, list(v.attachments),
                    v.created_at) for v in rows.all()]  # fmt: skip
    now = Version(obj.content or "", obj.summary, obj.sensitive, obj.language,
                  list(obj.attachments), obj.updated_at)  # fmt: skip
    return [*kept, now]
