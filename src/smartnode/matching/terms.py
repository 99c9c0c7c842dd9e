"""The matching vocabulary (pure): languages, sectors, levels, CEFR, text folding, and skills as
AS2 `DefinedTerm` tags."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The languages of the node's UI and of the curated seed's labels.
LANGUAGES = ("en", "sv", "fr", "nl", "de", "it", "es")
#: Smart's sectors, spelt as projects spell theirs.
SECTORS = (
    "performing arts", "music", "film", "design", "games", "architecture", "education",
    "sustainability", "tech", "events", "media",
)  # fmt: skip
#: Skill levels 1-4 and how explanations name them.
LEVELS = {1: "basic", 2: "intermediate", 3: "advanced", 4: "expert"}
#: CEFR levels, weakest first, and `native`.
CEFR = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
#: Concept kinds in the taxonomy.
KINDS = ("skill", "occupation", "isco_group", "skill_group")
ESCO_PREFIX = "http://data.europa.eu/esco/"
#: Where a label came from: ESCO itself, or the smartnode team's translation of the seed.
OUR_TRANSLATION = "smartnode-translation"
SEED_PROVENANCE = "smartnode-seed"

_MARKS = re.compile(r"[\u0300-\u036f]")
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d"})


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text for matching (`Åsa  Côté` → `asa cote`)."""
    lowered = text.casefold().translate(_SPECIAL)
    bare = _MARKS.sub("", unicodedata.normalize("NFKD", lowered))
    return " ".join(bare.split())


def is_esco_uri(value: str) -> bool:
    """True for an ESCO concept URI (http://data.europa.eu/esco/…)."""
    return value.startswith(ESCO_PREFIX) and len(value) > len(ESCO_PREFIX)


@dataclass(frozen=True, slots=True)
class SkillTerm:
    """A skill as other nodes see it: an ESCO concept (uri) or a local skill (slug)."""

    name: str
    uri: str | None = None
    slug: str | None = None
    same_as: str | None = None


def defined_terms(terms: Iterable[SkillTerm]) -> list[dict[str, Any]]:
    """Skills as schema.org `DefinedTerm` tags: ESCO concepts carry their URI as id and url."""
    tags: list[dict[str, Any]] = []
    for term in terms:
        tag: dict[str, Any] = {"type": "DefinedTerm", "name": term.name}
        if term.uri:
            tag = {"type": "DefinedTerm", "id": term.uri, "url": term.uri, "name": term.name}
        elif term.slug:
            tag["termCode"] = term.slug
            if term.same_as:
                tag["sameAs"] = term.same_as
        tags.append(tag)
    return tags
