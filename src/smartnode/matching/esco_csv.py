"""Reading the official ESCO CSV download (https://esco.ec.europa.eu/en/use-esco/download).

Files are named `<stem>_<language>.csv` (`skills_sv.csv`, `occupationSkillRelations_en.csv`) and
use ESCO's column headers (`conceptUri`, `preferredLabel`, `altLabels`, …); alternative and
hidden labels are one a line inside their cell. Rows become plain dicts ready for the database.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from smartnode.errors import ValidationFailed
from smartnode.matching.terms import LANGUAGES, fold

#: Concept files in the order they are imported, the kind of their concepts, required columns.
CONCEPT_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ISCOGroups": ("isco_group", ("conceptUri", "preferredLabel", "code")),
    "skillGroups": ("skill_group", ("conceptUri", "preferredLabel")),
    "skills": ("skill", ("conceptUri", "preferredLabel")),
    "occupations": ("occupation", ("conceptUri", "preferredLabel")),
}
#: Relation files and their required columns (the same in every language; one is read).
RELATION_FILES: dict[str, tuple[str, ...]] = {
    "broaderRelationsSkillPillar": ("conceptUri", "broaderUri"),
    "broaderRelationsOccPillar": ("conceptUri", "broaderUri"),
    "occupationSkillRelations": ("occupationUri", "relationType", "skillUri"),
}
RELATION_TYPES = ("essential", "optional")
_NAME = re.compile(r"^(?P<stem>[A-Za-z]+)_(?P<lang>[a-z]{2})\.csv$")


@dataclass
class EscoFolder:
    """The ESCO files found in a folder: concept files per stem and language, relation files."""

    path: Path
    concepts: dict[str, dict[str, Path]] = field(default_factory=dict)
    relations: dict[str, Path] = field(default_factory=dict)
    ignored_languages: set[str] = field(default_factory=set)

    @property
    def languages(self) -> list[str]:
        found = {lang for files in self.concepts.values() for lang in files}
        return [lang for lang in LANGUAGES if lang in found]


def discover(folder: Path, languages: Sequence[str] = LANGUAGES) -> EscoFolder:
    """The ESCO CSV files of `folder`; ValidationFailed when it is not an ESCO download."""
    if not folder.is_dir():
        raise ValidationFailed(f"{folder} is not a folder")
    found = EscoFolder(folder)
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if match is None:
            continue
        stem, lang = match["stem"], match["lang"]
        if stem in CONCEPT_FILES:
            if lang in languages:
                found.concepts.setdefault(stem, {})[lang] = _checked(path, CONCEPT_FILES[stem][1])
            else:
                found.ignored_languages.add(lang)
        elif stem in RELATION_FILES and (stem not in found.relations or lang == "en"):
            found.relations[stem] = _checked(path, RELATION_FILES[stem])
    if not found.concepts:
        raise ValidationFailed(
            f"no ESCO CSV files in {folder}: expected skills_<lang>.csv, occupations_<lang>.csv, "
            "ISCOGroups_<lang>.csv … for the languages " + ", ".join(languages)
        )
    return found


def _missing(path: Path, columns: Sequence[str] | None, required: Sequence[str]) -> None:
    missing = [c for c in required if c not in (columns or [])]
    if missing:
        raise ValidationFailed(f"{path.name} is not an ESCO file: no column {', '.join(missing)}")


def _checked(path: Path, required: Sequence[str]) -> Path:
    """The path, once its header has the required columns."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            _missing(path, next(csv.reader(handle), []), required)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationFailed(f"{path.name} cannot be read as UTF-8 CSV: {exc}") from exc
    return path


def read_rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """The rows of an ESCO CSV file; ValidationFailed when a required column is missing."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            _missing(path, reader.fieldnames, required)
            return [row for row in reader if (row.get(required[0]) or "").strip()]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationFailed(f"{path.name} cannot be read as UTF-8 CSV: {exc}") from exc


def _cell(row: dict[str, str], name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return value or None


def concept_row(kind: str, row: dict[str, str], provenance: str, now: datetime) -> dict[str, Any]:
    """A `skill_concepts` row from a concept file's row."""
    return {
        "uri": row["conceptUri"].strip(),
        "kind": kind,
        "code": _cell(row, "code"),
        "isco_group": _cell(row, "iscoGroup") if kind == "occupation" else None,
        "skill_type": _cell(row, "skillType"),
        "provenance": provenance,
        "updated_at": now,
    }


def label_rows(row: dict[str, str], language: str, provenance: str) -> list[dict[str, Any]]:
    """The preferred, alternative and hidden labels of a concept row (duplicates dropped)."""
    uri = row["conceptUri"].strip()
    seen: set[tuple[str, str]] = set()
    labels = []
    for kind, column in (("preferred", "preferredLabel"), ("alt", "altLabels"),
                         ("hidden", "hiddenLabels")):  # fmt: skip
        for raw in (row.get(column) or "").split("\n"):
            text = " ".join(raw.split())
            if text and (kind, text) not in seen:
                seen.add((kind, text))
                labels.append(
                    {"concept_uri": uri, "language": language, "kind": kind, "text": text,
                     "folded": fold(text), "provenance": provenance}
                )  # fmt: skip
    return labels


def description_row(row: dict[str, str], language: str) -> dict[str, str] | None:
    """The concept's description (or definition) in this language, if it has one."""
    text = _cell(row, "description") or _cell(row, "definition")
    if text is None:
        return None
    return {"concept_uri": row["conceptUri"].strip(), "language": language, "text": text}


def broader_row(row: dict[str, str]) -> dict[str, str]:
    """A `skill_broader` row: conceptUri is narrower than broaderUri."""
    return {"concept_uri": row["conceptUri"].strip(), "broader_uri": row["broaderUri"].strip()}


def occupation_skill_row(row: dict[str, str]) -> dict[str, str] | None:
    """An `occupation_skills` row; None for a relation type other than essential/optional."""
    relation = (row.get("relationType") or "").strip().lower()
    if relation not in RELATION_TYPES:
        return None
    return {
        "occupation_uri": row["occupationUri"].strip(),
        "skill_uri": row["skillUri"].strip(),
        "relation": relation,
    }
