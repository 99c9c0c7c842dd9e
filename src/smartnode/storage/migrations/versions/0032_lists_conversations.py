"""members' lists of accounts, and their marks on conversations of direct statuses

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-06 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, UTCDateTime

revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None


def _actor(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["actor_id"], ["actors.id"], name=op.f(f"fk_{table}_actor_id_actors"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "member_lists",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("replies_policy", sa.String(length=16), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _actor("member_lists"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_lists")),
    )
    with op.batch_alter_table("member_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_lists_actor_id"), ["actor_id"], unique=False)
    op.create_table(
        "list_accounts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("list_id", BigId, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["member_lists.id"],
            name=op.f("fk_list_accounts_list_id_member_lists"),
            ondelete="CASCADE",
        ),
        _actor("list_accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_accounts")),
        sa.UniqueConstraint("list_id", "actor_id", name=op.f("uq_list_accounts_list_id")),
    )
    with op.batch_alter_table("list_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_accounts_actor_id"), ["actor_id"], unique=False)
    op.create_table(
        "conversation_marks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("read_id", BigId, nullable=False),
        sa.Column("hidden_id", BigId, nullable=False),
        _actor("conversation_marks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_marks")),
        sa.UniqueConstraint("actor_id", "key", name=op.f("uq_conversation_marks_actor_id")),
    )


def downgrade() -> None:
    op.drop_table("conversation_marks")
    with op.batch_alter_table("list_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_accounts_actor_id"))
    op.drop_table("list_accounts")
    with op.batch_alter_table("member_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_lists_actor_id"))
    op.drop_table("member_lists")
