"""Moving an embedded SQLite node to PostgreSQL: every row copied, ids and keys kept.

The target must be an empty PostgreSQL database (no table of ours holds a row); it is brought
to the code's newest revision first, then every table is copied in dependency order (parents
before children) in one transaction, in batches, through the models' column types (times stay
UTC, JSON stays JSON). Each id column's sequence is then moved past the largest id copied, so
the next row made on PostgreSQL gets a new id. The search index's text columns are filled by
PostgreSQL's own trigger as rows arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Table, func, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartnode.errors import SmartnodeError
from smartnode.ops.doctor import sqlite_file
from smartnode.storage.db import create_engine
from smartnode.storage.migrate import upgrade
from smartnode.storage.models import Base
from smartnode.storage.revisions import code_heads, database_heads

#: Rows read and written per statement.
BATCH = 1000


class MigrationRefused(SmartnodeError):
    """The copy cannot start (wrong source or target) or could not finish (nothing kept)."""

    code = "migration_refused"


@dataclass(slots=True)
class MigrationReport:
    """Rows copied per table, in the order they were copied."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def tables_in_order() -> list[Table]:
    """Every table of the models, parents before the tables that point at them."""
    return list(Base.metadata.sorted_tables)


def postgres_url(target: str) -> str:
    """The target URL for asyncpg; MigrationRefused unless it names a PostgreSQL database."""
    try:
        url = make_url(target)
    except ArgumentError:
        raise MigrationRefused(f"{target!r} is not a database URL") from None
    if url.get_backend_name() != "postgresql" or not url.database:
        raise MigrationRefused(
            "--to must name a PostgreSQL database, e.g. "
            "postgresql+asyncpg://smartnode:PASSWORD@db.example/smartnode"
        )
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def migrate_to_postgres(
    source_url: str, target: str, progress: Callable[[str, int], None] | None = None
) -> MigrationReport:
    """Copy the SQLite node at `source_url` into the empty PostgreSQL database `target`."""
    target_url = postgres_url(target)
    source_file = sqlite_file(source_url)
    if source_file is None:
        raise MigrationRefused("the node's database is not a SQLite file: nothing to move")
    if not source_file.exists():
        raise MigrationRefused(f"no database at {source_file}: nothing to move")
    source, dest = create_engine(source_url), create_engine(target_url)
    try:
        await _require_current(source, source_url)
        try:
            await _require_empty(dest)
        except (OSError, DBAPIError) as error:
            first = (str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"])[0]
            shown = make_url(target_url).render_as_string(hide_password=True)
            raise MigrationRefused(f"cannot reach {shown}: {first[:200]}") from None
        await upgrade(target_url)
        return await _copy(source, dest, progress)
    finally:
        await source.dispose()
        await dest.dispose()


async def _require_current(source: AsyncEngine, source_url: str) -> None:
    async with source.connect() as conn:
        current = await database_heads(conn)
    if current != code_heads(source_url):
        raise MigrationRefused(
            "the SQLite database is not at this smartnode's newest revision: "
            "run `smartnode init` on it first"
        )


async def _require_empty(dest: AsyncEngine) -> None:
    """MigrationRefused when any table of ours in the target holds a row."""
    async with dest.connect() as conn:
        present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        for table in tables_in_order():
            if table.name not in present:
                continue
            if await conn.scalar(select(1).select_from(table).limit(1)) is not None:
                raise MigrationRefused(
                    f"the target database is not empty (table {table.name} holds rows): "
                    "move into a new, empty database (createdb), never over a node"
                )


async def _copy(
    source: AsyncEngine, dest: AsyncEngine, progress: Callable[[str, int], None] | None
) -> MigrationReport:
    report = MigrationReport()
    async with source.connect() as reader, dest.begin() as writer:
        for table in tables_in_order():
            copied = await _copy_table(reader, writer, table)
            report.rows[table.name] = copied
            if progress is not None:
                progress(table.name, copied)
        await writer.run_sync(_reset_sequences)
    return report


async def _copy_table(reader: AsyncConnection, writer: AsyncConnection, table: Table) -> int:
    """Copy one table in batches, in primary key order; the number of rows."""
    order = list(table.primary_key.columns) or list(table.columns)
    copied = 0
    result = await reader.stream(select(table).order_by(*order))
    async for rows in result.mappings().partitions(BATCH):
        batch = [dict(row) for row in rows]
        try:
            await writer.execute(table.insert(), batch)
        except DBAPIError as error:
            first = (str(error.orig).strip().splitlines() or ["?"])[0]
            raise MigrationRefused(
                f"table {table.name}: PostgreSQL refused a row ({first[:200]}); "
                "nothing was kept in the target"
            ) from None
        copied += len(batch)
    return copied


def _reset_sequences(conn: Connection) -> None:
    """Move each id sequence past the largest id copied (or back to 1 for an empty table)."""
    for table in tables_in_order():
        for column in table.primary_key.columns:
            sequence = conn.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence is None:
                continue
            top = conn.scalar(select(func.max(column)))
            conn.execute(
                text("SELECT setval(CAST(:seq AS regclass), :value, :called)"),
                {"seq": sequence, "value": top or 1, "called": top is not None},
            )


async def row_counts(database_url: str) -> dict[str, int]:
    """Rows per table of the models (to compare a source and its copy)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return {
                table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
                for table in tables_in_order()
            }
    finally:
        await engine.dispose()
