"""peering states: both directions of the follows with a peer, when each last changed, the last
error and the last back-fill

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_TIMES = ("ours_changed_at", "theirs_changed_at", "last_error_at", "backfilled_at")


def upgrade() -> None:
    with op.batch_alter_table("peers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ours_state", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(
            sa.Column(
                "theirs_state", sa.String(length=16), nullable=False, server_default="not asked"
            )
        )
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        for name in _TIMES:
            batch_op.add_column(sa.Column(name, UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peers", schema=None) as batch_op:
        for name in (*reversed(_TIMES), "last_error", "theirs_state", "ours_state"):
            batch_op.drop_column(name)
