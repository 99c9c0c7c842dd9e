"""Pictures members upload: one row per stored file under SMARTNODE_MEDIA_DIR."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, UTCDateTime


class Media(Base):
    """A re-encoded picture: `file_name` is a random token with the format's extension (never
    the upload's name); `description` is its alt text; `focus_x`, `focus_y` its focal point
    (-1 to 1, as Mastodon's); `status_id` the status it is attached to (None until then)."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    blurhash: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    focus_x: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    focus_y: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    status_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("objects.id", ondelete="CASCADE"), index=True, default=None
    )
