"""inbox actor index: (actor_uri, state, id), for the claim that keeps one actor's order

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_messages_actor", ["actor_uri", "state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_messages_actor")
