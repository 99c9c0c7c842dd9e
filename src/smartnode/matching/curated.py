"""The curated ESCO seed shipped as package data (matching/data/esco_seed.json) and loading it.

Loading is idempotent and never overwrites: concepts already in the taxonomy keep their rows,
and a concept that has labels in a language (say, official ones from `smartnode import-esco`)
gets no seed label in that language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.matching.terms import SEED_PROVENANCE, fold
from smartnode.storage.models import table
from smartnode.storage.models_matching import SkillConcept, SkillLabel
from smartnode.storage.upsert import insert_ignoring_conflicts

SEED_FILE = "data/esco_seed.json"
BATCH = 500


@dataclass(frozen=True, slots=True)
class SeedLabel:
    """A label of a seeded concept and where it came from."""

    language: str
    text: str
    provenance: str


@dataclass(frozen=True, slots=True)
class SeedConcept:
    """One concept of the curated seed."""

    uri: str
    kind: str
    code: str | None
    sectors: tuple[str, ...]
    labels: tuple[SeedLabel, ...]


@dataclass(frozen=True, slots=True)
class SeedLoad:
    """What loading the seed added."""

    concepts: int
    labels: int


def seed_document() -> dict[str, Any]:
    """The seed file as JSON (header with attribution and provenance, then the concepts)."""
    text = resources.files("smartnode.matching").joinpath(SEED_FILE).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def seed_concepts() -> tuple[SeedConcept, ...]:
    """The curated concepts, in file order."""
    return tuple(
        SeedConcept(
            uri=raw["uri"], kind=raw["kind"], code=raw["code"], sectors=tuple(raw["sectors"]),
            labels=tuple(
                SeedLabel(lang, label["text"], label["provenance"])
                for lang, label in raw["labels"].items()
            ),
        )
        for raw in seed_document()["concepts"]
    )  # fmt: skip


async def _labelled(session: AsyncSession, uris: list[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for start in range(0, len(uris), BATCH):
        rows = await session.execute(
            select(SkillLabel.concept_uri, SkillLabel.language)
            .where(SkillLabel.concept_uri.in_(uris[start : start + BATCH]))
            .distinct()
        )
        found.update((uri, lang) for uri, lang in rows)
    return found


async def load_seed(session: AsyncSession, now: datetime) -> SeedLoad:
    """Add the curated concepts and their labels that the taxonomy lacks. Does not commit."""
    concepts = seed_concepts()
    rows = [
        {"uri": c.uri, "kind": c.kind, "code": c.code, "isco_group": None, "skill_type": None,
         "provenance": SEED_PROVENANCE, "updated_at": now}
        for c in concepts
    ]  # fmt: skip
    added = 0
    for start in range(0, len(rows), BATCH):
        added += await insert_ignoring_conflicts(
            session, table(SkillConcept), rows[start : start + BATCH]
        )
    labelled = await _labelled(session, [c.uri for c in concepts])
    labels = [
        {"concept_uri": c.uri, "language": label.language, "kind": "preferred",
         "text": label.text, "folded": fold(label.text), "provenance": label.provenance}
        for c in concepts
        for label in c.labels
        if (c.uri, label.language) not in labelled
    ]  # fmt: skip
    new_labels = 0
    for start in range(0, len(labels), BATCH):
        new_labels += await insert_ignoring_conflicts(
            session, table(SkillLabel), labels[start : start + BATCH]
        )
    return SeedLoad(concepts=added, labels=new_labels)
