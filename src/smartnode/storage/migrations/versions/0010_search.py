"""full-text search: documents, facets, windows; FTS5 (SQLite) or tsvector + pg_trgm (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 03:20:00

The text indexes are dialect-specific DDL and stay out of the ORM metadata (see
storage/models_search.py, `include_name`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smartnode.storage.types import BigId, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_documents', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_trigram USING fts5(folded, content='search_documents', "
    "content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
  INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
  INSERT INTO search_trigram(rowid, folded) VALUES (new.id, new.folded);
END""",
    """CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
  INSERT INTO search_fts(search_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO search_trigram(search_trigram, rowid, folded) VALUES ('delete', old.id, old.folded);
END""",
    """CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
  INSERT INTO search_fts(search_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO search_trigram(search_trigram, rowid, folded) VALUES ('delete', old.id, old.folded);
  INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
  INSERT INTO search_trigram(rowid, folded) VALUES (new.id, new.folded);
END""",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TABLE IF EXISTS search_trigram",
    "DROP TABLE IF EXISTS search_fts",
)

# The row's language picks the stemmer; 'simple' tokens are added too, so that a query parsed
# with 'simple' matches words of any language (a French label on a Swedish profile).
_PG_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE search_documents ADD COLUMN tsv tsvector",
    """CREATE FUNCTION search_documents_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE cfg regconfig := CASE NEW.language
    WHEN 'en' THEN 'english' WHEN 'sv' THEN 'swedish' WHEN 'fr' THEN 'french'
    WHEN 'nl' THEN 'dutch' WHEN 'de' THEN 'german' WHEN 'it' THEN 'italian'
    WHEN 'es' THEN 'spanish' ELSE 'simple' END;
BEGIN
  NEW.tsv := setweight(to_tsvector(cfg, NEW.title), 'A')
    || setweight(to_tsvector(cfg, NEW.body), 'B')
    || setweight(to_tsvector('simple', NEW.title), 'A')
    || setweight(to_tsvector('simple', NEW.body), 'C');
  RETURN NEW;
END $$""",
    "CREATE TRIGGER search_documents_tsv BEFORE INSERT OR UPDATE ON search_documents "
    "FOR EACH ROW EXECUTE FUNCTION search_documents_tsv()",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    "CREATE INDEX ix_search_documents_trgm ON search_documents USING gin (folded gin_trgm_ops)",
)
_PG_DOWN = ("DROP FUNCTION IF EXISTS search_documents_tsv() CASCADE",)


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("ref", BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("source", "ref", name="uq_search_documents_source_ref"),
    )
    op.create_index("ix_search_documents_kind", "search_documents", ["kind", "id"])
    op.create_table(
        "search_facets",
        sa.Column("doc_id", BigId, nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_documents.id"],
            name=op.f("fk_search_facets_doc_id_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", "facet", "value", name=op.f("pk_search_facets")),
    )
    op.create_index("ix_search_facets_value", "search_facets", ["facet", "value"])
    op.create_table(
        "search_windows",
        sa.Column("doc_id", BigId, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_documents.id"],
            name=op.f("fk_search_windows_doc_id_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", "starts_on", "ends_on", name=op.f("pk_search_windows")),
    )
    op.create_index("ix_search_windows_dates", "search_windows", ["starts_on", "ends_on"])
    for statement in _PG_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _PG_DOWN if op.get_bind().dialect.name == "postgresql" else _SQLITE_DOWN:
        op.execute(statement)
    op.drop_index("ix_search_windows_dates", table_name="search_windows")
    op.drop_table("search_windows")
    op.drop_index("ix_search_facets_value", table_name="search_facets")
    op.drop_table("search_facets")
    op.drop_index("ix_search_documents_kind", table_name="search_documents")
    op.drop_table("search_documents")
