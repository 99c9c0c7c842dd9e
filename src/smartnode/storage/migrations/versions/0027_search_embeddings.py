"""search embeddings: one multilingual embedding per search document, kept by the worker

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_embeddings",
        sa.Column("doc_id", BigId, nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("dims", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("embedded_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_documents.id"],
            name=op.f("fk_search_embeddings_doc_id_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_search_embeddings")),
    )
    op.create_index("ix_search_embeddings_model", "search_embeddings", ["model", "doc_id"])


def downgrade() -> None:
    op.drop_index("ix_search_embeddings_model", table_name="search_embeddings")
    op.drop_table("search_embeddings")
