"""What members keep of statuses beside reactions: bookmarks (private to the member), pins
(on their profile and in their `featured` collection), and the versions a status had before
each edit (its history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, Json, UTCDateTime


class Bookmark(Base):
    """A status a member keeps for later; nobody else is told."""

    __tablename__ = "bookmarks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("objects.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("actor_id", "object_id"),)


class Pin(Base):
    """One of a member's own statuses, pinned on their profile."""

    __tablename__ = "pins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("objects.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("actor_id", "object_id"),)


class StatusVersion(Base):
    """A status as it was before an edit: `created_at` is when that version was made."""

    __tablename__ = "status_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    object_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("objects.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
