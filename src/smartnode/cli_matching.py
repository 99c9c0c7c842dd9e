"""`smartnode seed-skills` and `smartnode import-esco DIR`: fill the skills taxonomy."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from smartnode.cli_support import database_session, err, now, out, run
from smartnode.config import Settings
from smartnode.matching.curated import load_seed, seed_document
from smartnode.matching.esco_csv import discover
from smartnode.matching.esco_import import EscoImport, import_esco, provenance_of
from smartnode.matching.search_index import reindex_all

ATTRIBUTION = "This service uses the ESCO classification of the European Commission."


class ProgressBars:
    """A rich progress bar per ESCO file, drawn on stderr (the esco_import Progress protocol)."""

    def __init__(self) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err(), transient=False,
        )  # fmt: skip
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBars:
        self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bars.stop()

    def start(self, name: str, total: int) -> None:
        self._task = self._bars.add_task(name, total=total)

    def advance(self, count: int) -> None:
        if self._task is not None:
            self._bars.advance(self._task, count)


def import_lines(report: EscoImport, folder: Path) -> list[str]:
    """What `import-esco` tells the operator."""
    return [
        f"Imported ESCO {report.version} from {folder}: {report.concepts} concepts with "
        f"{report.labels} labels in {', '.join(report.languages)}, "
        f"{report.descriptions} descriptions.",
        f"Relations: {report.broader} broader links, {report.occupation_skills} occupation "
        f"skills ({report.skipped_relations} skipped: unknown concept or relation type).",
        ATTRIBUTION,
    ]


def import_esco_command(
    folder: Annotated[
        Path, typer.Argument(help="Folder of the ESCO CSV download (skills_en.csv, …).")
    ],
    version: Annotated[str, typer.Option(help="The ESCO version of the files.")] = "v1.2",
) -> None:
    """Import the official ESCO CSV download: concepts, labels in our seven languages,
    broader links, occupation skills (safe to run again)."""

    async def work(settings: Settings) -> list[str]:
        provenance_of(version)
        found = discover(folder)  # a wrong folder fails before the database is touched
        if found.ignored_languages:
            err().print(
                f"Not imported (other languages): {', '.join(sorted(found.ignored_languages))}"
            )
        async with database_session(settings) as session, session.begin():
            with ProgressBars() as bars:
                report = await import_esco(session, found, now(), version=version, progress=bars)
            documents = await reindex_all(session)  # new labels: skills found in more languages
        return [*import_lines(report, folder), f"Search index rebuilt: {documents} documents."]

    for line in run(work):
        out().print(line)


def seed_skills_command() -> None:
    """Load the curated ESCO subset (~200 concepts, labels in seven languages); safe to run
    again, and it never replaces labels that `import-esco` brought."""

    async def work(settings: Settings) -> list[str]:
        async with database_session(settings) as session, session.begin():
            loaded = await load_seed(session, now())
            await reindex_all(session)
        total = len(seed_document()["concepts"])
        return [
            f"Curated ESCO seed: {loaded.concepts} new concepts of {total}, "
            f"{loaded.labels} new labels.",
            ATTRIBUTION,
        ]

    for line in run(work):
        out().print(line)


def add_matching_commands(app: typer.Typer) -> None:
    """Register `seed-skills` and `import-esco` on the `smartnode` command."""
    app.command("seed-skills")(seed_skills_command)
    app.command("import-esco")(import_esco_command)
