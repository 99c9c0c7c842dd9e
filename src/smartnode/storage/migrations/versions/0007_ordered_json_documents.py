"""ordered JSON for documents whose key order matters

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 16:10:00

PostgreSQL's JSONB re-sorts keys; published activities and language maps keep their order as
plain JSON. SQLite stores JSON as text either way, so nothing changes there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (("activities", "document"), ("objects", "content_map"), ("actors", "summary_map"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.JSON(), postgresql_using=f"{column}::json")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table, column, type_=postgresql.JSONB(), postgresql_using=f"{column}::jsonb"
        )
