"""inbox leased index: the claim's "no earlier message of this actor in flight" probe reads
only the leased messages (a partial index), instead of every pending message of the actor

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

LEASED = "state = 'pending' AND locked_until IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_messages_actor")
        batch_op.create_index(
            "ix_inbox_messages_leased",
            ["actor_uri", "id"],
            unique=False,
            sqlite_where=sa.text(LEASED),
            postgresql_where=sa.text(LEASED),
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_messages_leased")
        batch_op.create_index("ix_inbox_messages_actor", ["actor_uri", "state", "id"], unique=False)
