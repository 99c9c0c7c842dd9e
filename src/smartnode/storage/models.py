"""Tables. One `actors` table holds local actors (node, members, projects) and, later, cached
remote ones; kind-specific facts live in side tables keyed by the actor id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from smartnode.storage.types import BigId, Json, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Actor(Base):
    """An ActivityPub actor. Local actors have `local=True`, a username and a private key."""

    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)
    local: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(16))  # node | member | project | remote
    ap_type: Mapped[str] = mapped_column(String(32))  # Person | Group | Application | ...
    username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(255), nullable=True)  # None when local
    name: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    summary_map: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    language: Mapped[str] = mapped_column(String(16), default="en")
    icon_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    inbox_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    shared_inbox_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    private_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    indexable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # Usernames are never reused on this node, even after deletion (Mastodon does the same).
        Index(
            "uq_actors_local_username",
            "username",
            unique=True,
            sqlite_where=text("local"),
            postgresql_where=text("local"),
        ),
    )


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


class Follow(Base):
    """A follow relation; collections show only `accepted` ones."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str | None] = mapped_column(Text, unique=True, nullable=True)
    follower_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    followed_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # pending | accepted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("follower_id", "followed_id"),
        Index("ix_follows_followed_state", "followed_id", "state", "id"),
        Index("ix_follows_follower_state", "follower_id", "state", "id"),
    )


class ApiToken(Base):
    """A bearer token for the native API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))  # admin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
