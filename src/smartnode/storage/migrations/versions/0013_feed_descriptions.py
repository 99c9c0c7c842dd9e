"""topic feeds keep their description as written, so a feed can be edited

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("topic_feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("topic_feeds", schema=None) as batch_op:
        batch_op.drop_column("description")
