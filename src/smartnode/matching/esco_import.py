"""`smartnode import-esco`: the official ESCO CSV download into the taxonomy, in batches.

Idempotent: concepts, descriptions and relations are upserted; the labels of a concept in a
language are replaced by the file's (so official labels replace the seed's translations). The
caller owns the transaction; nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.errors import ValidationFailed
from smartnode.matching import esco_csv
from smartnode.storage.models import Base, table
from smartnode.storage.models_matching import (
    OccupationSkill,
    SkillBroader,
    SkillConcept,
    SkillDescription,
    SkillLabel,
)
from smartnode.storage.upsert import insert_ignoring_conflicts

BATCH = 500
_VERSION = re.compile(r"^v\d+(\.\d+)*$")
T = TypeVar("T")
Converter = Callable[[dict[str, str]], dict[str, str] | None]


class Progress(Protocol):
    """Told what is being imported and how far it got (the CLI draws a progress bar)."""

    def start(self, name: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class NoProgress:
    """A Progress that shows nothing."""

    def start(self, name: str, total: int) -> None:
        return None

    def advance(self, count: int) -> None:
        return None


@dataclass
class EscoImport:
    """What an import read and wrote."""

    version: str
    languages: list[str] = field(default_factory=list)
    concepts: int = 0
    labels: int = 0
    descriptions: int = 0
    broader: int = 0
    occupation_skills: int = 0
    skipped_relations: int = 0


def provenance_of(version: str) -> str:
    """`v1.2` → `esco-v1.2`; ValidationFailed for something that is not a version."""
    if not _VERSION.match(version):
        raise ValidationFailed(f"{version!r} is not an ESCO version like 'v1.2'")
    return f"esco-{version}"


def _batches(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


async def _upsert(
    session: AsyncSession, target: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE the other columns, on SQLite and PostgreSQL."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(target)
    others = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    await session.execute(
        statement.on_conflict_do_update(index_elements=list(keys), set_=others), list(rows)
    )


async def _concept_batch(
    session: AsyncSession, batch: Sequence[dict[str, str]], kind: str, language: str,
    provenance: str, now: datetime,
) -> tuple[list[str], int, int]:  # fmt: skip
    """Upsert a batch of concept rows, replace their labels in `language`; (uris, labels, descs)."""
    rows = [esco_csv.concept_row(kind, b, provenance, now) for b in batch]
    concepts = list({r["uri"]: r for r in rows}.values())
    uris = [r["uri"] for r in concepts]
    await _upsert(session, table(SkillConcept), concepts, ["uri"])
    await session.execute(
        delete(SkillLabel).where(SkillLabel.language == language, SkillLabel.concept_uri.in_(uris))
    )
    labels = [label for b in batch for label in esco_csv.label_rows(b, language, provenance)]
    labels = list({(r["concept_uri"], r["kind"], r["text"]): r for r in labels}.values())
    if labels:
        await session.execute(table(SkillLabel).insert(), labels)
    found = [d for b in batch if (d := esco_csv.description_row(b, language))]
    descriptions = list({d["concept_uri"]: d for d in found}.values())
    await _upsert(session, table(SkillDescription), descriptions, ["concept_uri", "language"])
    return uris, len(labels), len(descriptions)


async def _concept_file(
    session: AsyncSession, path: Path, stem: str, language: str, provenance: str, now: datetime,
    progress: Progress, report: EscoImport,
) -> set[str]:  # fmt: skip
    kind, required = esco_csv.CONCEPT_FILES[stem]
    rows = esco_csv.read_rows(path, required)
    progress.start(path.name, len(rows))
    seen: set[str] = set()
    for batch in _batches(rows):
        uris, labels, descriptions = await _concept_batch(
            session, batch, kind, language, provenance, now
        )
        seen.update(uris)
        report.labels += labels
        report.descriptions += descriptions
        progress.advance(len(batch))
    return seen


def _relation_kind(stem: str) -> tuple[Converter, type[Base], list[str]]:
    if stem == "occupationSkillRelations":
        return esco_csv.occupation_skill_row, OccupationSkill, ["occupation_uri", "skill_uri"]
    return esco_csv.broader_row, SkillBroader, ["concept_uri", "broader_uri"]


async def _relation_file(
    session: AsyncSession, path: Path, stem: str, known: set[str], progress: Progress,
    report: EscoImport,
) -> None:  # fmt: skip
    rows = esco_csv.read_rows(path, esco_csv.RELATION_FILES[stem])
    progress.start(path.name, len(rows))
    convert, model, keys = _relation_kind(stem)
    for batch in _batches(rows):
        converted = [r for r in (convert(b) for b in batch) if r is not None]
        usable = [r for r in converted if r[keys[0]] in known and r[keys[1]] in known]
        usable = list({(r[keys[0]], r[keys[1]]): r for r in usable}.values())
        report.skipped_relations += len(batch) - len(usable)
        if model is OccupationSkill:
            await _upsert(session, table(model), usable, keys)
            report.occupation_skills += len(usable)
        else:
            await insert_ignoring_conflicts(session, table(model), usable)
            report.broader += len(usable)
        progress.advance(len(batch))


async def import_esco(
    session: AsyncSession,
    found: esco_csv.EscoFolder,
    now: datetime,
    *,
    version: str = "v1.2",
    progress: Progress | None = None,
) -> EscoImport:
    """Import an ESCO CSV download found by `esco_csv.discover`: concepts and labels in our seven
    languages, descriptions, broader links and occupation skills. Does not commit."""
    progress = progress or NoProgress()
    provenance = provenance_of(version)
    report = EscoImport(version=version, languages=found.languages)
    imported: set[str] = set()
    for stem in esco_csv.CONCEPT_FILES:
        files = found.concepts.get(stem, {})
        for language in (lang for lang in report.languages if lang in files):
            imported |= await _concept_file(
                session, files[language], stem, language, provenance, now, progress, report
            )
    report.concepts = len(imported)
    known = set(await session.scalars(select(SkillConcept.uri)))
    for stem, path in found.relations.items():
        await _relation_file(session, path, stem, known, progress, report)
    return report
