"""board indexes: open calls by (published_at, id) and by (closes_at, id)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 05:40:00

The board pages on (sort key, id) among open calls; both keys now end with the row id so the
keyset walk reads the index in order instead of sorting ties.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_kind_state")
        batch_op.create_index(
            "ix_objects_kind_state", ["kind", "state", "closes_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_objects_board", ["kind", "state", "published_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_board")
        batch_op.drop_index("ix_objects_kind_state")
        batch_op.create_index("ix_objects_kind_state", ["kind", "state", "closes_at"], unique=False)
