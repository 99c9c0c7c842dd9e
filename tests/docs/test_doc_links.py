"""The docs point at files that exist: every picture and relative link in README.md, FEDERATION.md
and docs/*.md names a file of the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "FEDERATION.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _relative_targets(doc: Path) -> list[str]:
    targets = [m.group(1).split("#")[0] for m in LINK.finditer(doc.read_text(encoding="utf-8"))]
    return [t for t in targets if t and not re.match(r"^[a-z]+:", t) and not t.startswith("/")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_relative_link_names_a_file(doc: Path) -> None:
    missing = [t for t in _relative_targets(doc) if not (doc.parent / t).exists()]
    assert not missing, f"{doc.name} links to missing files: {missing}"


def test_the_web_doc_shows_its_screenshots() -> None:
    pictures = [t for t in _relative_targets(ROOT / "docs" / "web.md") if t.endswith(".png")]
    assert len(pictures) >= 8
