"""members, projects, follows, tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-26 14:42:28.725942
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, Json, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actors",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ap_type", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("summary_map", Json, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("icon_url", sa.Text(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("inbox_uri", sa.Text(), nullable=True),
        sa.Column("shared_inbox_uri", sa.Text(), nullable=True),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("private_key_enc", sa.Text(), nullable=True),
        sa.Column("manually_approves_followers", sa.Boolean(), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("indexable", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
        sa.UniqueConstraint("uri", name=op.f("uq_actors_uri")),
    )
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.create_index(
            "uq_actors_local_username",
            ["username"],
            unique=True,
            sqlite_where=sa.text("local"),
            postgresql_where=sa.text("local"),
        )

    op.create_table(
        "api_tokens",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "follows",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("follower_id", BigId, nullable=False),
        sa.Column("followed_id", BigId, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followed_id"],
            ["actors.id"],
            name=op.f("fk_follows_followed_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["actors.id"],
            name=op.f("fk_follows_follower_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("follower_id", "followed_id", name=op.f("uq_follows_follower_id")),
        sa.UniqueConstraint("uri", name=op.f("uq_follows_uri")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follows_followed_state", ["followed_id", "state", "id"], unique=False
        )
        batch_op.create_index(
            "ix_follows_follower_state", ["follower_id", "state", "id"], unique=False
        )

    op.create_table(
        "member_profiles",
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("languages", Json, nullable=False),
        sa.Column("skills", Json, nullable=False),
        sa.Column("links", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_member_profiles_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_member_profiles")),
    )
    op.create_table(
        "project_members",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("member_id", BigId, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["actors.id"],
            name=op.f("fk_project_members_member_id_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["actors.id"],
            name=op.f("fk_project_members_project_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_members")),
        sa.UniqueConstraint("project_id", "member_id", name=op.f("uq_project_members_project_id")),
    )
    op.create_table(
        "projects",
        sa.Column("actor_id", BigId, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("sectors", Json, nullable=False),
        sa.Column("website", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_projects_actor_id_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_projects")),
    )


def downgrade() -> None:
    op.drop_table("projects")
    op.drop_table("project_members")
    op.drop_table("member_profiles")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_follower_state")
        batch_op.drop_index("ix_follows_followed_state")

    op.drop_table("follows")
    op.drop_table("api_tokens")
    with op.batch_alter_table("actors", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_actors_local_username",
            sqlite_where=sa.text("local"),
            postgresql_where=sa.text("local"),
        )

    op.drop_table("actors")
