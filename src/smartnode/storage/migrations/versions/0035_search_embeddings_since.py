"""search embeddings: an index on (model, embedded_at), so a process's vector store reads only
the embeddings written since its last look

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_embeddings_written", "search_embeddings", ["model", "embedded_at"])


def downgrade() -> None:
    op.drop_index("ix_search_embeddings_written", table_name="search_embeddings")
