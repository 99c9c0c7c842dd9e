"""dead inboxes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 16:01:15.988330
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_inboxes",
        sa.Column("inbox_uri", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("gone_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("inbox_uri", name=op.f("pk_dead_inboxes")),
    )


def downgrade() -> None:
    op.drop_table("dead_inboxes")
