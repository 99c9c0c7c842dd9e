"""Members' lists of accounts (Mastodon's lists) and what a member did with a conversation of
direct statuses (read up to, hidden up to)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, UTCDateTime


class MemberList(Base):
    """A member's own list of accounts, with its timeline."""

    __tablename__ = "member_lists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    replies_policy: Mapped[str] = mapped_column(String(16))  # followed | list | none
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ListAccount(Base):
    """An account on a member's list (one the member follows)."""

    __tablename__ = "list_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(BigId, ForeignKey("member_lists.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (UniqueConstraint("list_id", "actor_id"),)


class ConversationMark(Base):
    """A member's marks on a conversation (`key`: its participants' digest): read up to a
    status id, hidden up to one (a newer status shows it again)."""

    __tablename__ = "conversation_marks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    read_id: Mapped[int] = mapped_column(BigId, default=0)
    hidden_id: Mapped[int] = mapped_column(BigId, default=0)

    __table_args__ = (UniqueConstraint("actor_id", "key"),)
