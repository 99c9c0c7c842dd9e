"""Tables for working together: applications to open calls, requests to join or invitations
into a project's team, and members' notifications. Applications are private to the applicant
and the project: nothing here is ever served publicly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, Json, UTCDateTime


class Application(Base):
    """An application to an open call.

    `local` is True when the project is ours (we decide); False when we only follow one of our
    members' applications to another node's project. `via` is `offer` (Offer{Agreement}) or
    `reply` (a fediverse user's direct reply to the call).
    """

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)  # the Offer id, or the reply Note id
    call_id: Mapped[int] = mapped_column(BigId, ForeignKey("objects.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    applicant_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    local: Mapped[bool] = mapped_column(Boolean)
    via: Mapped[str] = mapped_column(String(8))  # offer | reply
    state: Mapped[str] = mapped_column(String(16))  # pending|shortlisted|accepted|rejected
    motivation: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    links: Mapped[list[str]] = mapped_column(Json, default=list)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)  # given on acceptance
    decision_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    agreement_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the call's FEP-0837 intents when the application was made (content/proposals.py): the
    # finalized Agreement commits to these, even if the call is edited before the decision
    terms: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("call_id", "applicant_id"),
        Index("ix_applications_project_state", "project_id", "state", "id"),
        Index("ix_applications_applicant", "applicant_id", "id"),
    )


class TeamRequest(Base):
    """A Join (someone asks to enter a project's team) or an Invite (the project asks them),
    from either side of the federation, until it is answered."""

    __tablename__ = "team_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)  # the Join or Invite activity id
    kind: Mapped[str] = mapped_column(String(8))  # join | invite
    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    inviter_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="SET NULL"), nullable=True
    )
    role: Mapped[str] = mapped_column(String(16))  # coordinator | member | guest
    state: Mapped[str] = mapped_column(String(16))  # pending | accepted | rejected | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_team_requests_project_state", "project_id", "state", "id"),
        Index("ix_team_requests_actor", "actor_id", "state"),
    )


class Notification(Base):
    """Something a local member should see: a matching call, an application, a decision, an
    invitation. One per (member, kind, object)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    object_uri: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("actor_id", "kind", "object_uri"),
        Index("ix_notifications_actor", "actor_id", "id"),
    )


class TopicFeed(Base):
    """A topic feed (e.g. calls in music, calls in Belgium): a Service actor that Announces the
    public calls matching its filter, and the same feed as RSS/Atom."""

    __tablename__ = "topic_feeds"

    actor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    filter: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # sector/skill/country…
    description: Mapped[str] = mapped_column(Text, default="")  # the admin's plain text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventParticipant(Base):
    """Someone's participation in an event (Mobilizon's Join{Event}), from either side.

    For our events (`local`) we decide by the event's join mode and capacity; for a remote
    event we keep our member's Join until its organizer answers. Leaving deletes the row.
    """

    __tablename__ = "event_participants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)  # the Join activity id
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("objects.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    local: Mapped[bool] = mapped_column(Boolean)  # the event is ours
    state: Mapped[str] = mapped_column(String(16))  # pending | accepted | rejected
    message: Mapped[str] = mapped_column(Text, default="")  # plain text, capped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("event_id", "actor_id"),
        Index("ix_event_participants_event_state", "event_id", "state", "id"),
        Index("ix_event_participants_actor", "actor_id", "id"),
    )
