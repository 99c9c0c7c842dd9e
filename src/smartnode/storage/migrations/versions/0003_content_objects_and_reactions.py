"""content objects and reactions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:22:29.442857
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, Json, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objects",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=True),
        sa.Column("ap_type", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_map", Json, nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("in_reply_to_uri", sa.Text(), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("audience", Json, nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("attachments", Json, nullable=False),
        sa.Column("tags", Json, nullable=False),
        sa.Column("extra", Json, nullable=False),
        sa.Column("replies_count", sa.Integer(), nullable=False),
        sa.Column("likes_count", sa.Integer(), nullable=False),
        sa.Column("announces_count", sa.Integer(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_objects_actor_id_actors"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["actors.id"],
            name=op.f("fk_objects_project_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objects")),
        sa.UniqueConstraint("uri", name=op.f("uq_objects_uri")),
    )
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.create_index("ix_objects_actor", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_objects_in_reply_to", ["in_reply_to_uri"], unique=False)
        batch_op.create_index("ix_objects_kind", ["kind", "published_at"], unique=False)
        batch_op.create_index("ix_objects_project", ["project_id", "id"], unique=False)

    op.create_table(
        "reactions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("object_id", BigId, nullable=False),
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_reactions_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["objects.id"],
            name=op.f("fk_reactions_object_id_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reactions")),
        sa.UniqueConstraint("object_id", "actor_id", "kind", name=op.f("uq_reactions_object_id")),
        sa.UniqueConstraint("uri", name=op.f("uq_reactions_uri")),
    )


def downgrade() -> None:
    op.drop_table("reactions")
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_project")
        batch_op.drop_index("ix_objects_kind")
        batch_op.drop_index("ix_objects_in_reply_to")
        batch_op.drop_index("ix_objects_actor")

    op.drop_table("objects")
