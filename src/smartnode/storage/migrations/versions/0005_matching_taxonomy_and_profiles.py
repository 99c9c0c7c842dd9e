"""matching taxonomy and profiles

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 15:34:29.276759
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, Json, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skill_concepts",
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("isco_group", sa.String(length=8), nullable=True),
        sa.Column("skill_type", sa.String(length=32), nullable=True),
        sa.Column("provenance", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uri", name=op.f("pk_skill_concepts")),
    )
    with op.batch_alter_table("skill_concepts", schema=None) as batch_op:
        batch_op.create_index("ix_skill_concepts_kind", ["kind"], unique=False)

    op.create_table(
        "local_skills",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("labels", Json, nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("same_as_uri", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["same_as_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_local_skills_same_as_uri_skill_concepts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_skills")),
        sa.UniqueConstraint("slug", name=op.f("uq_local_skills_slug")),
    )
    op.create_table(
        "matching_profiles",
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("remote_ok", sa.Boolean(), nullable=False),
        sa.Column("travel_radius_km", sa.Integer(), nullable=True),
        sa.Column("cross_border", sa.Boolean(), nullable=False),
        sa.Column("sectors", Json, nullable=False),
        sa.Column("visible_to_nodes", sa.Boolean(), nullable=False),
        sa.Column("suggestions", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_matching_profiles_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_matching_profiles")),
    )
    op.create_table(
        "member_availability",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_member_availability_ordered")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["actors.id"],
            name=op.f("fk_member_availability_member_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_availability")),
    )
    with op.batch_alter_table("member_availability", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_availability_dates", ["starts_on", "ends_on"], unique=False
        )
        batch_op.create_index(
            "ix_member_availability_member", ["member_id", "starts_on"], unique=False
        )

    op.create_table(
        "member_languages",
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["actors.id"],
            name=op.f("fk_member_languages_member_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "language", name=op.f("pk_member_languages")),
    )
    with op.batch_alter_table("member_languages", schema=None) as batch_op:
        batch_op.create_index("ix_member_languages_language", ["language", "level"], unique=False)

    op.create_table(
        "occupation_skills",
        sa.Column("occupation_uri", sa.Text(), nullable=False),
        sa.Column("skill_uri", sa.Text(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["occupation_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_occupation_skills_occupation_uri_skill_concepts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_occupation_skills_skill_uri_skill_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("occupation_uri", "skill_uri", name=op.f("pk_occupation_skills")),
    )
    with op.batch_alter_table("occupation_skills", schema=None) as batch_op:
        batch_op.create_index("ix_occupation_skills_skill", ["skill_uri"], unique=False)

    op.create_table(
        "skill_broader",
        sa.Column("concept_uri", sa.Text(), nullable=False),
        sa.Column("broader_uri", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broader_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_skill_broader_broader_uri_skill_concepts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["concept_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_skill_broader_concept_uri_skill_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("concept_uri", "broader_uri", name=op.f("pk_skill_broader")),
    )
    with op.batch_alter_table("skill_broader", schema=None) as batch_op:
        batch_op.create_index("ix_skill_broader_broader", ["broader_uri"], unique=False)

    op.create_table(
        "skill_descriptions",
        sa.Column("concept_uri", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_skill_descriptions_concept_uri_skill_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("concept_uri", "language", name=op.f("pk_skill_descriptions")),
    )
    op.create_table(
        "skill_labels",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("concept_uri", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("provenance", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_skill_labels_concept_uri_skill_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_labels")),
        sa.UniqueConstraint(
            "concept_uri", "language", "kind", "text", name="uq_skill_labels_concept_text"
        ),
    )
    with op.batch_alter_table("skill_labels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_skill_labels_language_folded", ["language", "folded"], unique=False
        )

    op.create_table(
        "member_skills",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("concept_uri", sa.Text(), nullable=True),
        sa.Column("local_skill_id", BigId, nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("can_teach", sa.Boolean(), nullable=False),
        sa.Column("wants_to_learn", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(concept_uri IS NULL) <> (local_skill_id IS NULL)",
            name=op.f("ck_member_skills_one_skill"),
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_member_skills_level")),
        sa.ForeignKeyConstraint(
            ["concept_uri"],
            ["skill_concepts.uri"],
            name=op.f("fk_member_skills_concept_uri_skill_concepts"),
        ),
        sa.ForeignKeyConstraint(
            ["local_skill_id"],
            ["local_skills.id"],
            name=op.f("fk_member_skills_local_skill_id_local_skills"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["actors.id"],
            name=op.f("fk_member_skills_member_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_skills")),
        sa.UniqueConstraint("member_id", "concept_uri", name="uq_member_skills_member_concept"),
        sa.UniqueConstraint("member_id", "local_skill_id", name="uq_member_skills_member_local"),
    )
    with op.batch_alter_table("member_skills", schema=None) as batch_op:
        batch_op.create_index("ix_member_skills_concept", ["concept_uri"], unique=False)
        batch_op.create_index("ix_member_skills_local", ["local_skill_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member_skills", schema=None) as batch_op:
        batch_op.drop_index("ix_member_skills_local")
        batch_op.drop_index("ix_member_skills_concept")

    op.drop_table("member_skills")
    with op.batch_alter_table("skill_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_skill_labels_language_folded")

    op.drop_table("skill_labels")
    op.drop_table("skill_descriptions")
    with op.batch_alter_table("skill_broader", schema=None) as batch_op:
        batch_op.drop_index("ix_skill_broader_broader")

    op.drop_table("skill_broader")
    with op.batch_alter_table("occupation_skills", schema=None) as batch_op:
        batch_op.drop_index("ix_occupation_skills_skill")

    op.drop_table("occupation_skills")
    with op.batch_alter_table("member_languages", schema=None) as batch_op:
        batch_op.drop_index("ix_member_languages_language")

    op.drop_table("member_languages")
    with op.batch_alter_table("member_availability", schema=None) as batch_op:
        batch_op.drop_index("ix_member_availability_member")
        batch_op.drop_index("ix_member_availability_dates")

    op.drop_table("member_availability")
    op.drop_table("matching_profiles")
    op.drop_table("local_skills")
    with op.batch_alter_table("skill_concepts", schema=None) as batch_op:
        batch_op.drop_index("ix_skill_concepts_kind")

    op.drop_table("skill_concepts")
