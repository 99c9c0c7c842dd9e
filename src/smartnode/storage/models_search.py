"""Tables of the search index (docs/search.md): one document per searchable member, project or
call, its multi-valued facets, its date windows and its embedding.

The text indexes themselves are dialect-specific and live outside the ORM metadata (migration
0010): on SQLite two FTS5 tables over `search_documents` (`search_fts`, unicode61 without
diacritics; `search_trigram`, trigram over `folded`) kept in step by triggers; on PostgreSQL a
`tsv` tsvector column filled by a trigger with the row's language config, a GIN index on it and
a pg_trgm GIN index on `folded`. `include_name` keeps them out of autogenerate comparisons.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, UTCDateTime

#: Tables (and their FTS5 shadow tables) that only the migration knows.
_UNMAPPED_TABLE_PREFIXES = ("search_fts", "search_trigram")
#: PostgreSQL-only column and indexes of `search_documents`.
_UNMAPPED_COLUMNS = frozenset({"tsv"})
_UNMAPPED_INDEXES = frozenset({"ix_search_documents_tsv", "ix_search_documents_trgm"})


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic `include_name`: leave the dialect-specific search indexes out of comparisons."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(_UNMAPPED_TABLE_PREFIXES)
    if type_ == "column":
        return name not in _UNMAPPED_COLUMNS
    if type_ == "index":
        return name not in _UNMAPPED_INDEXES
    return True


class SearchDocument(Base):
    """One searchable thing: a member or project (`source` actor) or a call (`source` object),
    local or a cached remote one. `title` and `body` are plain text; `folded` is both, lower-case
    and accent-free (what the trigram indexes see)."""

    __tablename__ = "search_documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(8))  # actor | object
    ref: Mapped[int] = mapped_column(BigId)  # actors.id or objects.id
    kind: Mapped[str] = mapped_column(String(16))  # member | project | call
    uri: Mapped[str] = mapped_column(Text)
    local: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(16))  # the text's language ("und": unknown)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2), default="")
    remote: Mapped[bool] = mapped_column(Boolean, default=False)  # remote work is possible
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("source", "ref", name="uq_search_documents_source_ref"),
        Index("ix_search_documents_kind", "kind", "id"),
    )


class SearchFacet(Base):
    """A facet value of a document: `skill` (ESCO URI), `language` (working language)."""

    __tablename__ = "search_facets"

    doc_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("search_documents.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)

    __table_args__ = (Index("ix_search_facets_value", "facet", "value"),)


class SearchWindow(Base):
    """Dates a document covers (a call's work dates, a member's availability), both included."""

    __tablename__ = "search_windows"

    doc_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("search_documents.id", ondelete="CASCADE"), primary_key=True
    )
    starts_on: Mapped[date] = mapped_column(Date, primary_key=True)
    ends_on: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (Index("ix_search_windows_dates", "starts_on", "ends_on"),)


class SearchEmbedding(Base):
    """A document's multilingual embedding (float32, little-endian, unit length), written by the
    worker once per text and model (search_embed.py). `text_hash` names the text it was
    computed from; it goes with its document (cascade), so what leaves the index leaves here."""

    __tablename__ = "search_embeddings"

    doc_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("search_documents.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(64))
    text_hash: Mapped[str] = mapped_column(String(32))
    dims: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    embedded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_search_embeddings_model", "model", "doc_id"),
        Index("ix_search_embeddings_written", "model", "embedded_at"),
    )
