"""Hybrid search over members, projects, calls, events and posts, with facets (docs/search.md).

Two rankings of the documents that pass the filters are fused by reciprocal rank: the lexical
one (full text, with the query's ESCO labels in the other languages: search_expand.py) and,
when the model is on, the semantic one (cosine over stored embeddings: search_vectors.py).
Only what the index holds can be found, and the index holds only what may be found (members who
opted in, discoverable projects and remote actors, public live calls and events, public live
posts that are not replies by authors who let their posts be found): see search_docs.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.errors import ValidationFailed
from smartnode.matching.search_expand import expansions
from smartnode.matching.search_text import CANDIDATES, row_text, snippet, text_matches, words
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.matching.taxonomy import preferred_labels
from smartnode.storage.models import table
from smartnode.storage.models_search import SearchDocument, SearchFacet, SearchWindow

KINDS = ("member", "project", "call", "event", "post")
MAX_QUERY = 200
MAX_LIMIT = 50
FACET_VALUES = 30
#: Reciprocal rank fusion: a document scores the sum of 1 / (RRF_K + its rank) in each ranking.
RRF_K = 60


@dataclass(frozen=True, slots=True)
class Filters:
    """What results must have. Several skills or kinds: any of them."""

    kinds: Sequence[str] = ()
    skills: Sequence[str] = ()
    country: str | None = None
    language: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    remote: bool | None = None
    local: bool | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    uri: str
    title: str
    snippet: str  # plain text, HTML-escaped
    language: str
    country: str
    remote: bool
    local: bool
    skills: list[str]
    languages: list[str]
    score: float
    updated_at: datetime
    origin: str | None = None  # the peer node it came from (federated directory); None: ours


@dataclass(slots=True)
class FacetCount:
    value: str
    count: int
    label: str | None = None


@dataclass(slots=True)
class SearchPage:
    hits: list[Hit]
    total: int  # matches ranked (at most CANDIDATES)
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    next: str | None = None


def _check(q: str, filters: Filters, limit: int, after: str | None) -> int:
    """Refuse bad input with a clear message; returns the offset the cursor stands for."""
    if len(q) > MAX_QUERY:
        raise ValidationFailed(f"q: at most {MAX_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit: between 1 and {MAX_LIMIT}")
    if unknown := sorted(set(filters.kinds) - set(KINDS)):
        raise ValidationFailed(f"kind: {', '.join(unknown)} is not one of {', '.join(KINDS)}")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationFailed("from: after `to`")
    if after is None:
        return 0
    if not after.isdigit() or len(after) > 6 or int(after) >= CANDIDATES:
        raise ValidationFailed("after: not a cursor this search gave")
    return int(after)


def _conditions(f: Filters) -> list[ColumnElement[bool]]:
    docs, facets, windows = table(SearchDocument), table(SearchFacet), table(SearchWindow)
    conds: list[ColumnElement[bool]] = []
    if f.kinds:
        conds.append(docs.c.kind.in_(list(f.kinds)))
    if f.country:
        conds.append(docs.c.country == f.country)
    if f.remote is not None:
        conds.append(docs.c.remote.is_(f.remote))
    if f.local is not None:
        conds.append(docs.c.local.is_(f.local))
    for name, values in (("skill", list(f.skills)), ("language", [f.language] * bool(f.language))):
        if values:
            conds.append(
                exists().where(
                    facets.c.doc_id == docs.c.id,
                    facets.c.facet == name,
                    facets.c.value.in_(values),
                )
            )
    if f.date_from or f.date_to:
        window = [windows.c.doc_id == docs.c.id]
        if f.date_to:
            window.append(windows.c.starts_on <= f.date_to)
        if f.date_from:
            window.append(windows.c.ends_on >= f.date_from)
        conds.append(exists().where(*window))
    return conds


def fuse(*rankings: dict[int, float]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of several id → score rankings (higher is better): best first."""
    fused: dict[int, float] = {}
    for scores in rankings:
        ordered = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))
        for rank, (doc_id, _) in enumerate(ordered, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], -item[0]))[:CANDIDATES]


async def _ranked(
    session: AsyncSession,
    q: str,
    language: str,
    conds: list[ColumnElement[bool]],
    semantic: SemanticSearch | None,
) -> list[tuple[int, float]]:
    """Matching document ids, best first (newest first when there is no query)."""
    if q.strip():
        if not words(q):
            return []
        also = await expansions(session, q)
        lexical = await text_matches(session, q, language, conds, also)
        meaning = await semantic.matches(session, q, conds) if semantic else {}
        return fuse(lexical, meaning)
    docs = table(SearchDocument)
    rows = await session.execute(
        select(docs.c.id)
        .where(*conds)
        .order_by(docs.c.updated_at.desc(), docs.c.id.desc())
        .limit(CANDIDATES)
    )
    return [(doc_id, 0.0) for (doc_id,) in rows]


async def _facet_counts(
    session: AsyncSession, ids: list[int], language: str
) -> dict[str, list[FacetCount]]:
    docs, facets = table(SearchDocument), table(SearchFacet)
    counts: dict[str, Counter[str]] = {n: Counter() for n in ("kind", "country", "remote")}
    counts |= {"skill": Counter(), "language": Counter()}
    if ids:
        rows = await session.execute(select(docs.c.kind, docs.c.country, docs.c.remote)
                                     .where(docs.c.id.in_(ids)))  # fmt: skip
        for kind, country, remote in rows:
            counts["kind"][kind] += 1
            counts["remote"]["true" if remote else "false"] += 1
            if country:
                counts["country"][country] += 1
        rows = await session.execute(
            select(facets.c.facet, facets.c.value, func.count())
            .where(facets.c.doc_id.in_(ids))
            .group_by(facets.c.facet, facets.c.value)
        )
        for name, value, count in rows:
            counts[name][value] += count
    labels = await preferred_labels(session, counts["skill"], language)
    return {
        name: [
            FacetCount(value, n, labels[value][0] if value in labels else None)
            for value, n in sorted(counter.items(), key=lambda i: (-i[1], i[0]))[:FACET_VALUES]
        ]
        for name, counter in counts.items()
    }


async def _hits(
    session: AsyncSession, page: list[tuple[int, float]], terms: list[str]
) -> list[Hit]:
    docs, facets = table(SearchDocument), table(SearchFacet)
    ids = [doc_id for doc_id, _ in page]
    rows = {r.id: r for r in await session.execute(select(docs).where(docs.c.id.in_(ids)))}
    values: dict[int, dict[str, list[str]]] = {i: {"skill": [], "language": []} for i in ids}
    found = await session.execute(
        select(facets).where(facets.c.doc_id.in_(ids)).order_by(facets.c.value)
    )
    for doc_id, name, value in found:
        values[doc_id][name].append(value)
    return [_hit(r, values[i], score, terms) for i, score in page if (r := rows.get(i))]


def _hit(row: Any, values: dict[str, list[str]], score: float, terms: list[str]) -> Hit:
    return Hit(
        kind=row.kind, uri=row.uri, title=row.title, snippet=snippet(row_text(row), terms),
        language=row.language, country=row.country, remote=row.remote, local=row.local,
        skills=values["skill"], languages=values["language"], score=round(score, 4),
        updated_at=row.updated_at,
    )  # fmt: skip


async def search(
    session: AsyncSession,
    q: str,
    filters: Filters = Filters(),
    *,
    viewer_language: str = "en",
    limit: int = 20,
    after: str | None = None,
    semantic: SemanticSearch | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
) -> SearchPage:
    """Rank what matches `q` and `filters`, one page of it, and facet counts over all matches.

    With `semantic` (shared_semantic(settings.semantic_search)) documents near `q` in meaning
    count as matches too, in any language. An empty `q` lists what the filters select, newest
    first. `extra`: conditions on search documents that callers add (directory.py).
    ValidationFailed for bad input.
    """
    offset = _check(q, filters, limit, after)
    conds = [*_conditions(filters), *extra]
    ranked = await _ranked(session, q, viewer_language, conds, semantic)
    page = ranked[offset : offset + limit]
    more = offset + limit < len(ranked)
    return SearchPage(
        hits=await _hits(session, page, words(q)),
        total=len(ranked),
        facets=await _facet_counts(session, [i for i, _ in ranked], viewer_language),
        next=str(offset + limit) if more else None,
    )
