"""event participants: Join/Leave of events, decided by join mode and capacity

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_participants",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_event_participants_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["objects.id"],
            name=op.f("fk_event_participants_event_id_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_participants")),
        sa.UniqueConstraint("uri", name=op.f("uq_event_participants_uri")),
        sa.UniqueConstraint("event_id", "actor_id", name=op.f("uq_event_participants_event_id")),
    )
    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_participants_event_state", ["event_id", "state", "id"], unique=False
        )
        batch_op.create_index("ix_event_participants_actor", ["actor_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_event_participants_actor")
        batch_op.drop_index("ix_event_participants_event_state")
    op.drop_table("event_participants")
