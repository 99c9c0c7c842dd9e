"""`smartnode import-esco`: files with ESCO's official layout and headers in several languages
become concepts, labels, descriptions and relations; a second run changes nothing; a wrong
folder is one clear line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smartnode.errors import ValidationFailed
from smartnode.matching.curated import load_seed
from smartnode.matching.esco_csv import discover
from smartnode.matching.esco_import import import_esco
from smartnode.storage.models_matching import (
    OccupationSkill,
    SkillBroader,
    SkillConcept,
    SkillDescription,
    SkillLabel,
)
from tests.conftest import now, query

FIXTURES = Path(__file__).parent / "data" / "esco_csv"
ESCO = "http://data.europa.eu/esco/"
COMPOSE = ESCO + "skill/c109d892-3665-4743-877b-2ba23834e9e0"
THEORY = ESCO + "skill/d11e4683-d2fe-45fd-bb1a-e995f7877851"
SING = ESCO + "skill/e50a68c5-2a5d-4815-8bd1-e4334aed7683"
DANCES = ESCO + "skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"
COMPOSER = ESCO + "occupation/7dc05fcc-b079-45ed-b5d4-74c75f99976c"
DANCER = ESCO + "occupation/07b91f36-8272-493a-8e1c-5625e77efe68"


async def run_import(db, folder: Path = FIXTURES):
    async with db.session() as s, s.begin():
        return await import_esco(s, discover(folder), now())


async def counts(db) -> dict[str, int]:
    async with db.session() as s:
        return {
            model.__tablename__: int(await s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (SkillConcept, SkillLabel, SkillDescription, SkillBroader, OccupationSkill)
        }


async def rows_of(db, *columns, where=()) -> set[tuple]:
    async with db.session() as s:
        return {tuple(row) for row in await s.execute(select(*columns).where(*where))}


async def labels_of(db, uri: str, language: str) -> set[tuple]:
    return await rows_of(
        db, SkillLabel.kind, SkillLabel.text, SkillLabel.provenance,
        where=[SkillLabel.concept_uri == uri, SkillLabel.language == language],
    )  # fmt: skip


ALL_LABELS = (SkillLabel.concept_uri, SkillLabel.language, SkillLabel.kind, SkillLabel.text)


async def test_import_reads_concepts_labels_descriptions_and_relations(db) -> None:
    report = await run_import(db)

    assert report.languages == ["en", "sv", "fr"]
    assert (report.concepts, report.labels, report.descriptions) == (11, 43, 7)
    assert (report.broader, report.occupation_skills, report.skipped_relations) == (7, 4, 3)
    assert await counts(db) == {
        "skill_concepts": 11, "skill_labels": 43, "skill_descriptions": 7,
        "skill_broader": 7, "occupation_skills": 4,
    }  # fmt: skip
    async with db.session() as s:
        composer = await s.get(SkillConcept, COMPOSER)
        assert composer is not None
        assert (composer.kind, composer.code, composer.isco_group) == (
            "occupation",
            "2652.2",
            "2652",
        )
        theory = await s.get(SkillConcept, THEORY)
        assert theory is not None and (theory.kind, theory.skill_type) == ("skill", "knowledge")
        group = await s.get(SkillConcept, ESCO + "isco/C2652")
        assert group is not None and (group.kind, group.code) == ("isco_group", "2652")
        assert (await s.get(SkillConcept, ESCO + "isced-f/00")).kind == "skill_group"
        description = await s.get(SkillDescription, (COMPOSE, "sv"))
        assert description is not None and description.text == "Skriva egen musik."
    relations = await rows_of(
        db, OccupationSkill.occupation_uri, OccupationSkill.skill_uri, OccupationSkill.relation
    )
    assert relations == {(COMPOSER, COMPOSE, "essential"), (COMPOSER, THEORY, "optional"),
                         (DANCER, DANCES, "essential"), (DANCER, SING, "optional")}  # fmt: skip
    broader = await rows_of(db, SkillBroader.concept_uri, SkillBroader.broader_uri)
    assert (COMPOSER, ESCO + "isco/C2652") in broader
    assert (THEORY, ESCO + "isced-f/000") in broader and len(broader) == 7

    assert await labels_of(db, COMPOSE, "en") == {
        ("preferred", "compose music", "esco-v1.2"), ("alt", "composing music", "esco-v1.2"),
        ("alt", "write music", "esco-v1.2"), ("hidden", "compse music", "esco-v1.2"),
    }  # fmt: skip
    assert await labels_of(db, COMPOSE, "fr") == {  # skills_fr.csv starts with a byte-order mark
        ("preferred", "composer de la musique", "esco-v1.2"),
        ("alt", "écrire de la musique", "esco-v1.2"),
    }
    assert await labels_of(db, SING, "pl") == set()  # not one of the node's languages


async def test_a_second_import_changes_nothing(db) -> None:
    await run_import(db)
    before, labels = await counts(db), await rows_of(db, *ALL_LABELS)
    report = await run_import(db)
    assert report.concepts == 11 and await counts(db) == before
    assert await rows_of(db, *ALL_LABELS) == labels


async def test_official_labels_replace_the_seed_translations_and_the_seed_keeps_off(db) -> None:
    async with db.session() as s, s.begin():
        await load_seed(s, now())
    assert await labels_of(db, COMPOSE, "sv") == {
        ("preferred", "komponera musik", "smartnode-translation")
    }
    await run_import(db)
    assert await labels_of(db, COMPOSE, "sv") == {
        ("preferred", "tonsätta musik", "esco-v1.2"), ("alt", "komponera musik", "esco-v1.2"),
        ("alt", "skriva musik", "esco-v1.2"),
    }  # fmt: skip
    # Languages the download did not carry keep the seed's translation until it does.
    assert await labels_of(db, COMPOSE, "nl") == {
        ("preferred", "muziek componeren", "smartnode-translation")
    }
    async with db.session() as s:
        concept = await s.get(SkillConcept, COMPOSE)
        assert concept is not None and concept.provenance == "esco-v1.2"
    async with db.session() as s, s.begin():
        reloaded = await load_seed(s, now())
    assert reloaded.concepts == 0
    assert ("preferred", "komponera musik", "smartnode-translation") not in await labels_of(
        db, COMPOSE, "sv"
    )


def test_a_folder_without_esco_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValidationFailed, match="no ESCO CSV files"):
        discover(tmp_path)
    with pytest.raises(ValidationFailed, match="is not a folder"):
        discover(tmp_path / "missing")


def test_a_file_without_esco_columns_is_named(tmp_path: Path) -> None:
    (tmp_path / "skills_en.csv").write_text("uri,label\nhttp://x,y\n", encoding="utf-8")
    missing = r"skills_en\.csv is not an ESCO file: no column conceptUri, preferredLabel"
    with pytest.raises(ValidationFailed, match=missing):
        discover(tmp_path)


def test_cli_imports_the_download_with_a_summary(smartnode, database_url, tmp_path) -> None:
    assert smartnode("init").exit_code == 0
    folder = tmp_path / "esco"
    shutil.copytree(FIXTURES, folder)
    result = smartnode("import-esco", str(folder))
    assert result.exit_code == 0, result.output
    assert f"Imported ESCO v1.2 from {folder}: 11 concepts with 43 labels in en, sv, fr" in (
        result.stdout
    )
    assert "7 broader links, 4 occupation skills (3 skipped" in result.stdout
    assert "ESCO classification of the European Commission" in result.stdout
    assert "Search index rebuilt: 0 documents." in result.stdout  # new labels, new words
    assert "Not imported (other languages): pl" in result.stderr
    [(count,)] = query(database_url, select(func.count()).select_from(SkillConcept))
    assert count == 11


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nowhere", "is not a folder"),
        (lambda p: p, "no ESCO CSV files in"),
    ],
)
def test_cli_refuses_a_wrong_folder_in_one_line(smartnode, tmp_path, make, message) -> None:
    assert smartnode("init").exit_code == 0
    result = smartnode("import-esco", str(make(tmp_path)))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.output


def test_cli_refuses_a_version_that_is_not_one(smartnode) -> None:
    assert smartnode("init").exit_code == 0
    result = smartnode("import-esco", str(FIXTURES), "--version", "latest")
    assert result.exit_code == 1
    assert result.stderr.strip() == "'latest' is not an ESCO version like 'v1.2'"
