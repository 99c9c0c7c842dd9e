"""ESCO query expansion (docs/search.md): words of a query that spell an ESCO concept's label in
one of the seven languages also search that concept's preferred labels in the other six, so
"choreographer" finds "chorégraphe" and "Choreograf" even where nobody tagged the skill."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.matching.search_text import words
from smartnode.matching.terms import LANGUAGES, fold
from smartnode.storage.models_matching import SkillLabel

#: Longest run of query words looked up as one label.
LONGEST = 4
#: Concepts a query may name (the first found), and labels it may add.
MAX_CONCEPTS = 4
MAX_LABELS = 24


def phrases(q: str) -> list[str]:
    """Every run of up to LONGEST consecutive words of the query, folded."""
    found = [fold(w) for w in words(q)]
    runs = (" ".join(found[i : i + n]) for n in range(1, LONGEST + 1) for i in range(len(found)))
    return list(dict.fromkeys(r for r in runs if len(r.split()) <= LONGEST and r))


async def expansions(session: AsyncSession, q: str) -> list[str]:
    """The preferred labels, in the other languages, of the concepts the query names (each
    form of a "masculine/feminine" label on its own)."""
    wanted = phrases(q)
    if not wanted:
        return []
    named = await session.execute(
        select(SkillLabel.concept_uri, SkillLabel.language)
        .where(
            SkillLabel.folded.in_(wanted),
            SkillLabel.kind.in_(("preferred", "alt")),
            SkillLabel.language.in_(LANGUAGES),
        )
        .order_by(SkillLabel.id)
    )
    spoken: dict[str, set[str]] = defaultdict(set)
    for uri, language in named:
        if uri in spoken or len(spoken) < MAX_CONCEPTS:
            spoken[uri].add(language)
    if not spoken:
        return []
    labels = await session.execute(
        select(SkillLabel.concept_uri, SkillLabel.language, SkillLabel.text)
        .where(
            SkillLabel.concept_uri.in_(list(spoken)),
            SkillLabel.kind == "preferred",
            SkillLabel.language.in_(LANGUAGES),
        )
        .order_by(SkillLabel.concept_uri, SkillLabel.language)
    )
    known = set(wanted)
    found = [
        variant.strip()
        for uri, language, text in labels
        if language not in spoken[uri]
        for variant in text.split("/")  # "danseur/danseuse": either form
    ]
    return [t for t in dict.fromkeys(found) if t and fold(t) not in known][:MAX_LABELS]
