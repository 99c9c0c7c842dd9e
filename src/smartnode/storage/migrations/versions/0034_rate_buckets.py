"""rate buckets: the inbox's per-host token buckets, shared by every process on PostgreSQL

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-06 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import UTCDateTime

revision = "0034"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
    )
    with op.batch_alter_table("rate_buckets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_buckets_updated_at"), ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        # A crash loses nothing that matters (buckets refill); no WAL for each inbox POST.
        op.execute("ALTER TABLE rate_buckets SET UNLOGGED")


def downgrade() -> None:
    with op.batch_alter_table("rate_buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_buckets_updated_at"))
    op.drop_table("rate_buckets")
