"""replies index: (in_reply_to_uri, id), so a replies collection pages in index order

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 07:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_in_reply_to")
        batch_op.create_index("ix_objects_in_reply_to", ["in_reply_to_uri", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_in_reply_to")
        batch_op.create_index("ix_objects_in_reply_to", ["in_reply_to_uri"], unique=False)
