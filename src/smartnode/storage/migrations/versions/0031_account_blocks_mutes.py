"""account blocks and mutes: members' blocks (and remote actors' blocks of ours) and mutes

Revision ID: 0031
Revises: 0034
Create Date: 2026-12-06 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, UTCDateTime

revision = "0031"
down_revision = "0034"
branch_labels = None
depends_on = None


def _pair(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("target_id", BigId, nullable=False),
        *columns,
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f(f"fk_{name}_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["actors.id"],
            name=op.f(f"fk_{name}_target_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("actor_id", "target_id", name=op.f(f"uq_{name}_actor_id")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_target_id"), ["target_id"], unique=False)


def upgrade() -> None:
    _pair("account_blocks", sa.Column("uri", sa.Text(), nullable=True))
    _pair(
        "account_mutes",
        sa.Column("notifications", sa.Boolean(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    for name in ("account_mutes", "account_blocks"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_target_id"))
        op.drop_table(name)
