"""matching profiles: the member's opt-in to be found by the federation's other nodes

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-06 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matching_profiles") as batch:
        batch.add_column(
            sa.Column("found_by_peers", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("matching_profiles") as batch:
        batch.drop_column("found_by_peers")
