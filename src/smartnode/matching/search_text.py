"""The text part of a search, per database (docs/search.md), and plain-text snippets.

SQLite: bm25 over the unicode61 FTS5 table, plus substring matches of the trigram table for
words of three letters or more (compounds: "tekniker" in "ljudtekniker"). PostgreSQL: the query
parsed with `websearch_to_tsquery` in the viewer's language OR 'simple', against the per-row
tsvector, plus the same substrings of the folded text (`LIKE` on its trigram index); when
neither finds anything, words alike (pg_trgm's word similarity: a typo). User text never
reaches a query language unquoted: SQLite gets quoted words only; PostgreSQL's websearch parser
never raises.
Alternatives (the ESCO labels a query names, in the other languages: search_expand.py) are
OR-ed in: quoted groups on SQLite, `plainto_tsquery('simple', …)` on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, column, func, literal, literal_column, select
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.federation.sanitize import escape_text
from smartnode.matching.terms import fold
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument

#: How many matches a search ranks (and counts facets over) at most.
CANDIDATES = 1000
MAX_TERMS = 12
SNIPPET = 200
CONFIGS = {
    "en": "english", "sv": "swedish", "fr": "french", "nl": "dutch", "de": "german",
    "it": "italian", "es": "spanish",
}  # fmt: skip
_WORD = re.compile(r"\w+")
_FTS = sql_table("search_fts", column("rowid"))
_TRIGRAM = sql_table("search_trigram", column("rowid"))


def words(q: str) -> list[str]:
    """The query's words, lower-cased (the tokenizer removes accents), at most MAX_TERMS."""
    found = [w.lower().replace("_", "") for w in _WORD.findall(q)]
    return list(dict.fromkeys(w for w in found if w))[:MAX_TERMS]


def _quoted(terms: Sequence[str]) -> str:
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def parts(terms: Sequence[str]) -> list[str]:
    """The folded words of three letters or more: looked for as substrings (compounds)."""
    return [folded for t in terms if len(folded := fold(t)) >= 3]


def _any_of(groups: Sequence[Sequence[str]]) -> str:
    """An FTS5 query matching any group (all words of a group)."""
    return " OR ".join(f"({_quoted(group)})" for group in groups if group)


async def _sqlite(
    session: AsyncSession,
    terms: list[str],
    also: Sequence[str],
    conds: Sequence[ColumnElement[bool]],
) -> dict[int, float]:
    docs = table(SearchDocument)
    scores: dict[int, float] = {}
    fts: ColumnElement[Any] = literal_column("search_fts")
    rank = func.bm25(fts, 5.0, 1.0)
    # The full-text index goes first, its matches materialised, then the filters: left to
    # itself, SQLite may walk an index of a filter (kind, country) and probe the text index
    # once per row, a hundred times slower at 100,000 documents (bench/search.py).
    matched = (
        select(_FTS.c.rowid.label("id"), rank.label("rank"))
        .where(fts.op("MATCH")(_any_of([terms, *(words(a) for a in also)])))
        .cte("text_hits")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        select(docs.c.id, matched.c.rank)
        .select_from(matched.join(docs, docs.c.id == matched.c.id))
        .where(*conds)
        .order_by(matched.c.rank)
        .limit(CANDIDATES)
    )
    for doc_id, bm25 in await session.execute(statement):
        scores[doc_id] = 1.0 - float(bm25)  # bm25() is lower for better matches
    long_terms = parts(terms)
    if long_terms:
        trigram: ColumnElement[Any] = literal_column("search_trigram")
        substrings = (
            select(_TRIGRAM.c.rowid.label("id"))
            .where(trigram.op("MATCH")(_quoted(long_terms)))
            .cte("substring_hits")
            .prefix_with("MATERIALIZED")
        )
        hits = (
            select(docs.c.id)
            .select_from(substrings.join(docs, docs.c.id == substrings.c.id))
            .where(*conds)
            .order_by(docs.c.id.desc())
            .limit(CANDIDATES)
        )
        for (doc_id,) in await session.execute(hits):
            scores[doc_id] = scores.get(doc_id, 0.0) + 0.5
    return scores


async def _postgresql(
    session: AsyncSession,
    q: str,
    language: str,
    also: Sequence[str],
    conds: Sequence[ColumnElement[bool]],
) -> dict[int, float]:
    docs = table(SearchDocument)
    tsv = literal_column("search_documents.tsv", TSVECTOR)
    config = literal(CONFIGS.get(language, "simple"), REGCONFIG)
    simple = literal("simple", REGCONFIG)
    query = func.websearch_to_tsquery(config, q).op("||")(func.websearch_to_tsquery(simple, q))
    for alternative in also:
        query = query.op("||")(func.plainto_tsquery(simple, alternative))
    # Each statement on its own index with its own limit (one statement OR-ing the conditions
    # had PostgreSQL scan and score every row: 1.4 s at 100,000 documents, bench/search.py).
    matches = tsv.op("@@", is_comparison=True)
    rank = func.ts_rank_cd(tsv, query)
    by_words = (
        select(docs.c.id, rank)
        .where(matches(query), *conds)
        .order_by(rank.desc(), docs.c.id.desc())
        .limit(CANDIDATES)
    )
    scores = {doc_id: float(r) for doc_id, r in await session.execute(by_words)}
    long_terms = parts(q.split())
    if long_terms:  # substrings of the folded text, as SQLite's trigram table finds them
        inside = [docs.c.folded.like(f"%{_like_escaped(t)}%", escape="\\") for t in long_terms]
        by_parts = (
            select(docs.c.id).where(*inside, *conds).order_by(docs.c.id.desc()).limit(CANDIDATES)
        )
        for (doc_id,) in await session.execute(by_parts):
            scores[doc_id] = scores.get(doc_id, 0.0) + 0.5
    if scores:
        return scores
    # Nothing matched as written: words alike (a typo), pg_trgm's word similarity.
    folded = fold(q)
    likeness = func.word_similarity(folded, docs.c.folded)
    by_likeness = (
        select(docs.c.id, likeness)
        .where(literal(folded).op("<%", is_comparison=True)(docs.c.folded), *conds)
        .order_by(likeness.desc(), docs.c.id.desc())
        .limit(CANDIDATES)
    )
    return {doc_id: float(alike) for doc_id, alike in await session.execute(by_likeness)}


def _like_escaped(term: str) -> str:
    """`term` with LIKE's wildcards and escape character taken literally."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def text_matches(
    session: AsyncSession,
    q: str,
    language: str,
    conds: Sequence[ColumnElement[bool]],
    also: Sequence[str] = (),
) -> dict[int, float]:
    """Document id → relevance, for the documents passing `conds` that match `q` (or one of
    the alternative phrases `also`)."""
    terms = words(q)
    if not terms:
        return {}
    also = [" ".join(words(a)) for a in also if words(a)]
    if session.get_bind().dialect.name == "postgresql":
        return await _postgresql(session, " ".join(terms), language, also, conds)
    return await _sqlite(session, terms, also, conds)


def _folded_map(text: str) -> tuple[str, list[int]]:
    """The text folded character by character, and where each folded character came from."""
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        folded = fold(char) if not char.isspace() else " "
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


def snippet(text: str, terms: Sequence[str], size: int = SNIPPET) -> str:
    """Plain text around the first matching word, escaped for HTML."""
    folded, where = _folded_map(text)
    hits = [folded.find(fold(t)) for t in terms if fold(t)]
    first = min((h for h in hits if h >= 0), default=-1)
    start = max(0, where[first] - size // 3) if first >= 0 and where else 0
    if start:
        start = text.find(" ", start) + 1 or start
    piece = " ".join(text[start : start + size].split())
    prefix = "…" if start else ""
    suffix = "…" if start + size < len(text) else ""
    return escape_text(prefix + piece + suffix)


def row_text(row: Any) -> str:
    """What a snippet is cut from: the body, one line per part."""
    return " · ".join(part for part in str(row.body).split("\n") if part)
