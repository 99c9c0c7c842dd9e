"""Side tables of local actors, keyed by the actor id: what a member shows on their profile,
what a project is (its place, sectors, website), and who is on a project's team."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, Json, UTCDateTime


class MemberProfile(Base):
    """What a member shows on their profile."""

    __tablename__ = "member_profiles"

    actor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    country: Mapped[str] = mapped_column(String(2), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    languages: Mapped[list[str]] = mapped_column(Json, default=list)
    skills: Mapped[list[str]] = mapped_column(Json, default=list)
    links: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)


class Project(Base):
    """A project hosted on this node (its actor is a Group)."""

    __tablename__ = "projects"

    actor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    sectors: Mapped[list[str]] = mapped_column(Json, default=list)
    website: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProjectMember(Base):
    """A member's place in a project's team."""

    __tablename__ = "project_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # coordinator | member | guest
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("project_id", "member_id"),)
