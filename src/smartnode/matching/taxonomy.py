"""The skills taxonomy: ESCO concepts and this node's local skills, looked up by URI or by label
in a language (case- and accent-insensitive). Services never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.names import slugify
from smartnode.errors import Conflict, NotFound, ValidationFailed
from smartnode.matching.terms import fold
from smartnode.storage.models_matching import LocalSkill, SkillConcept, SkillLabel

#: Label rows read per search before ranking (short labels first).
SEARCH_WINDOW = 400
FALLBACK = "en"


@dataclass(frozen=True, slots=True)
class ConceptHit:
    """A search result: a concept (or local skill) shown with its label in the asked language."""

    label: str
    language: str
    kind: str
    uri: str | None = None
    slug: str | None = None
    matched: str | None = None  # the label that matched, when not the one shown
    provenance: str | None = None


async def get_concept(session: AsyncSession, uri: str) -> SkillConcept:
    """The concept with this URI; NotFound otherwise."""
    concept = await session.get(SkillConcept, uri)
    if concept is None:
        raise NotFound(f"no concept {uri} in this node's taxonomy")
    return concept


async def known_uris(session: AsyncSession, uris: Iterable[str]) -> set[str]:
    """Which of these URIs are concepts of the taxonomy."""
    wanted = list(dict.fromkeys(uris))
    if not wanted:
        return set()
    rows = await session.scalars(select(SkillConcept.uri).where(SkillConcept.uri.in_(wanted)))
    return set(rows)


async def preferred_labels(
    session: AsyncSession, uris: Iterable[str], language: str
) -> dict[str, tuple[str, str, str]]:
    """uri → (label, its language, its provenance): the asked language, else English, else any."""
    wanted = list(dict.fromkeys(uris))
    if not wanted:
        return {}
    rows = await session.execute(
        select(SkillLabel.concept_uri, SkillLabel.language, SkillLabel.text, SkillLabel.provenance)
        .where(SkillLabel.concept_uri.in_(wanted), SkillLabel.kind == "preferred")
        .order_by(SkillLabel.id)
    )
    rank = {language: 0, FALLBACK: 1}
    best: dict[str, tuple[int, tuple[str, str, str]]] = {}
    for uri, lang, text, provenance in rows:
        score = rank.get(lang, 2)
        if uri not in best or score < best[uri][0]:
            best[uri] = (score, (text, lang, provenance))
    return {uri: found for uri, (_, found) in best.items()}


async def lookup_label(session: AsyncSession, text: str, language: str) -> str | None:
    """The URI of the concept labelled exactly `text` (folded) in `language`, preferred labels
    first; None when no concept is."""
    rows = await session.execute(
        select(SkillLabel.concept_uri, SkillLabel.kind)
        .where(SkillLabel.language == language, SkillLabel.folded == fold(text))
        .order_by(SkillLabel.id)
    )
    found = sorted(rows, key=lambda row: row[1] != "preferred")
    return found[0][0] if found else None


def _rank(folded: str, query: str, kind: str, lang: str, language: str) -> tuple[int, ...]:
    if folded == query:
        place = 0
    elif folded.startswith(query):
        place = 1
    elif f" {query}" in f" {folded}":
        place = 2
    else:
        place = 3
    return (place, kind != "preferred", lang != language, len(folded))


async def search_concepts(
    session: AsyncSession,
    query: str,
    language: str,
    *,
    kinds: Sequence[str] = (),
    limit: int = 20,
) -> list[ConceptHit]:
    """Concepts whose label in `language` (or English) contains `query`, best matches first:
    exact, then prefix, then word start; preferred labels before alternative ones."""
    folded = fold(query)
    if not folded:
        return []
    statement = (
        select(SkillLabel.concept_uri, SkillLabel.kind, SkillLabel.language, SkillLabel.text,
               SkillLabel.folded, SkillConcept.kind)
        .join(SkillConcept, SkillConcept.uri == SkillLabel.concept_uri)
        .where(SkillLabel.language.in_({language, FALLBACK}),
               SkillLabel.folded.contains(folded, autoescape=True))
        .order_by(func.length(SkillLabel.folded), SkillLabel.id)
        .limit(SEARCH_WINDOW)
    )  # fmt: skip
    if kinds:
        statement = statement.where(SkillConcept.kind.in_(list(kinds)))
    ranked: dict[str, tuple[tuple[int, ...], str, str]] = {}
    for uri, label_kind, lang, text, label_folded, concept_kind in await session.execute(statement):
        key = _rank(label_folded, folded, label_kind, lang, language)
        if uri not in ranked or key < ranked[uri][0]:
            ranked[uri] = (key, text, concept_kind)
    best = sorted(ranked.items(), key=lambda item: item[1][0])[:limit]
    shown = await preferred_labels(session, [uri for uri, _ in best], language)
    hits = []
    for uri, (_, matched, concept_kind) in best:
        label, lang, provenance = shown.get(uri, (matched, language, None))
        hits.append(
            ConceptHit(label=label, language=lang, kind=concept_kind, uri=uri,
                       matched=None if matched == label else matched, provenance=provenance)
        )  # fmt: skip
    return hits


# ---------------------------------------------------------------- local skills


def local_label(skill: LocalSkill, language: str) -> tuple[str, str]:
    """A local skill's label and its language: `language`, else English, else any."""
    labels = skill.labels or {}
    for lang in (language, FALLBACK, *labels):
        if labels.get(lang):
            return labels[lang], lang
    return skill.slug, language


def _folded_labels(labels: dict[str, str]) -> str:
    return "\n".join(dict.fromkeys(fold(text) for text in labels.values()))


async def get_local_skill(session: AsyncSession, slug: str) -> LocalSkill:
    """The local skill with this slug; NotFound otherwise."""
    skill = await session.scalar(select(LocalSkill).where(LocalSkill.slug == slug))
    if skill is None:
        raise NotFound(f"no local skill {slug!r} on this node")
    return skill


async def create_local_skill(
    session: AsyncSession,
    labels: dict[str, str],
    now: datetime,
    *,
    slug: str | None = None,
    same_as: str | None = None,
) -> LocalSkill:
    """A new local skill; Conflict if the slug is taken, ValidationFailed for an unknown sameAs."""
    if not labels:
        raise ValidationFailed("a local skill needs at least one label")
    slug = slugify(slug or next(iter(labels.values())), max_length=64)
    if await session.scalar(select(LocalSkill.id).where(LocalSkill.slug == slug)) is not None:
        raise Conflict(f"the local skill {slug!r} exists already")
    if same_as is not None and not await known_uris(session, [same_as]):
        raise ValidationFailed(f"sameAs {same_as} is not a concept of this node's taxonomy")
    skill = LocalSkill(
        slug=slug, labels=dict(labels), folded=_folded_labels(labels), same_as_uri=same_as,
        created_at=now,
    )  # fmt: skip
    session.add(skill)
    await session.flush()
    return skill


async def local_skill_for_name(
    session: AsyncSession, name: str, language: str, now: datetime
) -> LocalSkill:
    """The local skill a free name stands for (same slug), made on first use."""
    slug = slugify(name, max_length=64)
    found = await session.scalar(select(LocalSkill).where(LocalSkill.slug == slug))
    if found is not None:
        return found
    return await create_local_skill(session, {language: " ".join(name.split())}, now, slug=slug)


async def search_local_skills(
    session: AsyncSession, query: str, language: str, *, limit: int = 20
) -> list[ConceptHit]:
    """Local skills with a label containing `query` (folded)."""
    folded = fold(query)
    if not folded:
        return []
    rows = await session.scalars(
        select(LocalSkill)
        .where(LocalSkill.folded.contains(folded, autoescape=True))
        .order_by(func.length(LocalSkill.folded), LocalSkill.id)
        .limit(limit)
    )
    hits = []
    for skill in rows:
        label, lang = local_label(skill, language)
        hits.append(ConceptHit(label=label, language=lang, kind="local", slug=skill.slug))
    return hits
