"""member tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:23:11.496424
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_id", BigId, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_actor_id_actors"),
            "actors",
            ["actor_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_tokens_actor_id_actors"), type_="foreignkey")
        batch_op.drop_column("actor_id")
