"""federation: inbox, outbox, jobs, deliveries, hosts, blocks, peers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:50:00.083985
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, Json, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deleted_objects",
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("actor_uri", sa.Text(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uri", name=op.f("pk_deleted_objects")),
    )
    op.create_table(
        "domain_blocks",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_domain_blocks")),
    )
    op.create_table(
        "hosts",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("failure_days", Json, nullable=False),
        sa.Column("unavailable", sa.Boolean(), nullable=False),
        sa.Column("breaker_until", UTCDateTime(), nullable=True),
        sa.Column("supports_rfc9421", sa.Boolean(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_hosts")),
    )
    op.create_table(
        "inbox_messages",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("activity_uri", sa.Text(), nullable=False),
        sa.Column("inbox", sa.Text(), nullable=False),
        sa.Column("actor_uri", sa.Text(), nullable=False),
        sa.Column("activity_type", sa.String(length=64), nullable=False),
        sa.Column("body", Json, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
        sa.UniqueConstraint("activity_uri", "inbox", name=op.f("uq_inbox_messages_activity_uri")),
    )
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_messages_claim", ["state", "run_at"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["state", "run_at"], unique=False)

    op.create_table(
        "key_failures",
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("retry_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_key_failures")),
    )
    op.create_table(
        "peers",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("actor_uri", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_peers")),
    )
    op.create_table(
        "activities",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("activity_type", sa.String(length=64), nullable=False),
        sa.Column("object_uri", sa.Text(), nullable=True),
        sa.Column("document", Json, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_activities_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("uri", name=op.f("uq_activities_uri")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activities_actor_public", ["actor_id", "public", "id"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("activity_id", BigId, nullable=False),
        sa.Column("inbox_uri", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_deliveries_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("activity_id", "inbox_uri", name=op.f("uq_deliveries_activity_id")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_claim", ["state", "run_at"], unique=False)
        batch_op.create_index("ix_deliveries_host", ["host", "state"], unique=False)

    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("followers_uri", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("also_known_as", Json, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("moved_to_uri", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("fetched_at", UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_actors_key_id"), ["key_id"])
    op.execute("UPDATE actors SET key_id = uri || '#main-key' WHERE local")


def downgrade() -> None:
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_actors_key_id"), type_="unique")
        batch_op.drop_column("fetched_at")
        batch_op.drop_column("moved_to_uri")
        batch_op.drop_column("also_known_as")
        batch_op.drop_column("url")
        batch_op.drop_column("followers_uri")
        batch_op.drop_column("key_id")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_host")
        batch_op.drop_index("ix_deliveries_claim")

    op.drop_table("deliveries")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_actor_public")

    op.drop_table("activities")
    op.drop_table("peers")
    op.drop_table("key_failures")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_claim")

    op.drop_table("jobs")
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_messages_claim")

    op.drop_table("inbox_messages")
    op.drop_table("hosts")
    op.drop_table("domain_blocks")
    op.drop_table("deleted_objects")
