"""status marks: members' bookmarks and pins, and the versions of edited statuses

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, Json, UTCDateTime

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def _mark(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("object_id", BigId, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f(f"fk_{name}_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["objects.id"],
            name=op.f(f"fk_{name}_object_id_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("actor_id", "object_id", name=op.f(f"uq_{name}_actor_id")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_object_id"), ["object_id"], unique=False)


def upgrade() -> None:
    _mark("bookmarks")
    _mark("pins")
    op.create_table(
        "status_versions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("object_id", BigId, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("attachments", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["objects.id"],
            name=op.f("fk_status_versions_object_id_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_versions")),
    )
    with op.batch_alter_table("status_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_versions_object_id"), ["object_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_versions_object_id"))
    op.drop_table("status_versions")
    for name in ("pins", "bookmarks"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_object_id"))
        op.drop_table(name)
