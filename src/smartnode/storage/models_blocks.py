"""What a member keeps away from them: accounts they block (also a remote actor's Block of
one of ours, kept the same way) and accounts they mute (for a while, or for good)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, UTCDateTime


class AccountBlock(Base):
    """`actor_id` blocks `target_id`; `uri` is the Block activity's id (ours or theirs)."""

    __tablename__ = "account_blocks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("actor_id", "target_id"),)


class AccountMute(Base):
    """A member mutes an account until `expires_at` (None: for good); `notifications`: its
    notifications are hidden too."""

    __tablename__ = "account_mutes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("actor_id", "target_id"),)
