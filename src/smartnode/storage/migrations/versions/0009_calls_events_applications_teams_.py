"""calls events applications teams notifications

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 02:52:38.958781
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, Json, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_feeds",
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("filter", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_topic_feeds_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_topic_feeds")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("object_uri", sa.Text(), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_notifications_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "actor_id", "kind", "object_uri", name=op.f("uq_notifications_actor_id")
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_actor", ["actor_id", "id"], unique=False)

    op.create_table(
        "team_requests",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("inviter_id", BigId, nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_team_requests_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"],
            ["actors.id"],
            name=op.f("fk_team_requests_inviter_id_actors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["actors.id"],
            name=op.f("fk_team_requests_project_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_requests")),
        sa.UniqueConstraint("uri", name=op.f("uq_team_requests_uri")),
    )
    with op.batch_alter_table("team_requests", schema=None) as batch_op:
        batch_op.create_index("ix_team_requests_actor", ["actor_id", "state"], unique=False)
        batch_op.create_index(
            "ix_team_requests_project_state", ["project_id", "state", "id"], unique=False
        )

    op.create_table(
        "applications",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("call_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("applicant_id", BigId, nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("links", Json, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("decision_uri", sa.Text(), nullable=True),
        sa.Column("agreement_uri", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["actors.id"],
            name=op.f("fk_applications_applicant_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["objects.id"],
            name=op.f("fk_applications_call_id_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["actors.id"],
            name=op.f("fk_applications_project_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("call_id", "applicant_id", name=op.f("uq_applications_call_id")),
        sa.UniqueConstraint("uri", name=op.f("uq_applications_uri")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_applicant", ["applicant_id", "id"], unique=False)
        batch_op.create_index(
            "ix_applications_project_state", ["project_id", "state", "id"], unique=False
        )

    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("starts_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("ends_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("closes_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_objects_kind_state", ["kind", "state", "closes_at"], unique=False)


def downgrade() -> None:
    op.drop_table("topic_feeds")
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_kind_state")
        batch_op.drop_column("closes_at")
        batch_op.drop_column("ends_at")
        batch_op.drop_column("starts_at")
        batch_op.drop_column("state")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_project_state")
        batch_op.drop_index("ix_applications_applicant")

    op.drop_table("applications")
    with op.batch_alter_table("team_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_team_requests_project_state")
        batch_op.drop_index("ix_team_requests_actor")

    op.drop_table("team_requests")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_actor")

    op.drop_table("notifications")
