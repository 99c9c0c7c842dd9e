"""Tables for match-making: the skills taxonomy (ESCO concepts and local skills) and members'
matching profiles. Everything in a matching profile is private to this node unless the member
opts in; the opt-ins default to off."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, Json, UTCDateTime


class SkillConcept(Base):
    """An ESCO concept, keyed by its ESCO URI: a skill, an occupation, an ISCO group or a skill
    group."""

    __tablename__ = "skill_concepts"

    uri: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # skill | occupation | isco_group | skill_group
    code: Mapped[str | None] = mapped_column(String(32), nullable=True)  # ISCO / ESCO code
    isco_group: Mapped[str | None] = mapped_column(String(8), nullable=True)  # of an occupation
    skill_type: Mapped[str | None] = mapped_column(String(32), nullable=True)  # knowledge | …
    provenance: Mapped[str] = mapped_column(String(32))  # smartnode-seed | esco-v1.2 | …
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_skill_concepts_kind", "kind"),)


class SkillLabel(Base):
    """A label of a concept in one language; `folded` is the lower-cased, accent-free text."""

    __tablename__ = "skill_labels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    concept_uri: Mapped[str] = mapped_column(
        Text, ForeignKey("skill_concepts.uri", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # preferred | alt | hidden
    text: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(32))  # esco-v1.2 | smartnode-translation | …

    __table_args__ = (
        UniqueConstraint(
            "concept_uri", "language", "kind", "text", name="uq_skill_labels_concept_text"
        ),
        Index("ix_skill_labels_language_folded", "language", "folded"),
    )


class SkillDescription(Base):
    """The description of a concept in one language (from the ESCO download)."""

    __tablename__ = "skill_descriptions"

    concept_uri: Mapped[str] = mapped_column(
        Text, ForeignKey("skill_concepts.uri", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class SkillBroader(Base):
    """A broader/narrower link: `concept_uri` is narrower than `broader_uri`."""

    __tablename__ = "skill_broader"

    concept_uri: Mapped[str] = mapped_column(
        Text, ForeignKey("skill_concepts.uri", ondelete="CASCADE"), primary_key=True
    )
    broader_uri: Mapped[str] = mapped_column(
        Text, ForeignKey("skill_concepts.uri", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_skill_broader_broader", "broader_uri"),)


class OccupationSkill(Base):
    """An occupation's essential or optional skill."""

    __tablename__ = "occupation_skills"

    occupation_uri: Mapped[str] = mapped_column(
        Text, ForeignKey("skill_concepts.uri", ondelete="CASCADE"), primary_key=True
    )
    skill_uri: Mapped[str] = mapped_column(
        Text, ForeignKey("skill_concepts.uri", ondelete="CASCADE"), primary_key=True
    )
    relation: Mapped[str] = mapped_column(String(16))  # essential | optional

    __table_args__ = (Index("ix_occupation_skills_skill", "skill_uri"),)


class LocalSkill(Base):
    """A skill this node knows that ESCO lacks (a tool like TouchDesigner), optionally the same
    as an ESCO concept."""

    __tablename__ = "local_skills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    labels: Mapped[dict[str, str]] = mapped_column(Json, default=dict)  # language → label
    folded: Mapped[str] = mapped_column(Text, default="")  # every label folded, one a line
    same_as_uri: Mapped[str | None] = mapped_column(
        Text, ForeignKey("skill_concepts.uri", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberSkill(Base):
    """A member's skill: an ESCO concept or a local skill, with a level 1-4."""

    __tablename__ = "member_skills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    concept_uri: Mapped[str | None] = mapped_column(
        Text, ForeignKey("skill_concepts.uri"), nullable=True
    )
    local_skill_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("local_skills.id", ondelete="CASCADE"), nullable=True
    )
    level: Mapped[int] = mapped_column(Integer)  # 1 basic · 2 intermediate · 3 advanced · 4 expert
    can_teach: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_to_learn: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint("(concept_uri IS NULL) <> (local_skill_id IS NULL)", name="one_skill"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level"),
        UniqueConstraint("member_id", "concept_uri", name="uq_member_skills_member_concept"),
        UniqueConstraint("member_id", "local_skill_id", name="uq_member_skills_member_local"),
        Index("ix_member_skills_concept", "concept_uri"),
        Index("ix_member_skills_local", "local_skill_id"),
    )


class MemberLanguage(Base):
    """A working language of a member with its CEFR level (A1-C2) or `native`."""

    __tablename__ = "member_languages"

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(String(8))

    __table_args__ = (Index("ix_member_languages_language", "language", "level"),)


class MemberAvailability(Base):
    """A window of dates (both included) when a member is available."""

    __tablename__ = "member_availability"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="ordered"),
        Index("ix_member_availability_member", "member_id", "starts_on"),
        Index("ix_member_availability_dates", "starts_on", "ends_on"),
    )


class MatchingProfile(Base):
    """Where a member works from and how far they go, and their matching opt-ins.

    Country and city stay on the member profile; coordinates are stored rounded to 0.1° (~10 km).
    Listing in the directory and full-text indexing are the actor's `discoverable`/`indexable`.
    """

    __tablename__ = "matching_profiles"

    actor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    remote_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    travel_radius_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cross_border: Mapped[bool] = mapped_column(Boolean, default=False)
    sectors: Mapped[list[str]] = mapped_column(Json, default=list)
    visible_to_nodes: Mapped[bool] = mapped_column(Boolean, default=False)
    suggestions: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Found by the searches of trusted peer nodes (the federated directory).
    found_by_peers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
