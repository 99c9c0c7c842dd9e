"""media attachments: a picture's focal point and the status it is attached to

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-06 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId

revision = "0029"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("focus_x", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("focus_y", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("status_id", BigId, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_media_status_id_objects"), "objects", ["status_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch_op.create_index(batch_op.f("ix_media_status_id"), ["status_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_status_id"))
        batch_op.drop_constraint(batch_op.f("fk_media_status_id_objects"), type_="foreignkey")
        batch_op.drop_column("status_id")
        batch_op.drop_column("focus_y")
        batch_op.drop_column("focus_x")
