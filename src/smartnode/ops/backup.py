"""Backups: SQLite's online backup API copies a running node's database file, consistent as of
one moment, while the node goes on writing (WAL readers never block writers). PostgreSQL is
backed up with its own tools (pg_dump), which this module only names."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from smartnode.errors import SmartnodeError
from smartnode.ops.doctor import sqlite_file


class BackupRefused(SmartnodeError):
    """The backup cannot be made here (not SQLite, a target that exists, no source)."""

    code = "backup_refused"


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What was written: where, how many bytes, how many tables."""

    path: Path
    size: int
    tables: int


def backup_sqlite(database_url: str, target: Path) -> BackupReport:
    """Copy the node's SQLite database to `target` (a new file), checked for integrity."""
    source = sqlite_file(database_url)
    if source is None:
        raise BackupRefused(pg_dump_advice(database_url))
    if not source.exists():
        raise BackupRefused(f"no database at {source}: nothing to back up")
    if target.exists():
        raise BackupRefused(f"{target} exists already: choose a new file name")
    if not target.parent.is_dir():
        raise BackupRefused(f"no folder {target.parent}: create it first")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(partial)) as copy:
            reader.backup(copy)  # one step: a consistent snapshot of a live database
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tables = copy.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        if verdict != "ok":
            raise BackupRefused(f"the copy failed its integrity check: {verdict}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, target.stat().st_size, int(tables))


def pg_dump_advice(database_url: str) -> str:
    """What to run instead for PostgreSQL (no password shown)."""
    url = make_url(database_url)
    host = f" --host={url.host}" if url.host else ""
    port = f" --port={url.port}" if url.port else ""
    user = f" --username={url.username}" if url.username else ""
    return (
        "the database is PostgreSQL: back it up with its own tool, e.g. "
        f"`pg_dump --format=custom{host}{port}{user} --file=smartnode.dump {url.database}` "
        "(restore with pg_restore), and keep SMARTNODE_SECRET_KEY with it"
    )


def restore_sqlite(backup: Path, database_url: str) -> BackupReport:
    """Put the backup `backup` in place as the node's SQLite database (which must not exist)."""
    target = sqlite_file(database_url)
    if target is None:
        raise BackupRefused("the database is PostgreSQL: restore a pg_dump with pg_restore instead")
    if not backup.is_file():
        raise BackupRefused(f"no backup at {backup}")
    if target.exists():
        raise BackupRefused(f"{target} exists already: restore only where no database is "
                            "(move it away first, the node stopped)")  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as reader:
            verdict = _integrity(reader)
            if verdict != "ok":
                raise BackupRefused(f"{backup} is damaged: {verdict}")
            with closing(sqlite3.connect(partial)) as copy:
                reader.backup(copy)
                tables = copy.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()[0]
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, target.stat().st_size, int(tables))


def _integrity(reader: sqlite3.Connection) -> str:
    """`ok`, or what is wrong (a file that is not a SQLite database included)."""
    try:
        return str(reader.execute("PRAGMA integrity_check").fetchone()[0])
    except sqlite3.DatabaseError as error:
        return str(error)
