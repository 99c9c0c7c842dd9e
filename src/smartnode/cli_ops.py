"""`smartnode token list|revoke`, `backup`, `restore`, `migrate-to-postgres` and `doctor`:
for operators."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from smartnode.accounts.token_admin import TokenView, all_tokens, revoke_any_token
from smartnode.cli_acting import acting
from smartnode.cli_support import err, guarded, now, out, run, run_loop, safe_url
from smartnode.config import Settings, load_settings
from smartnode.ops.backup import backup_sqlite, restore_sqlite
from smartnode.ops.doctor import FAIL, OK, WARN, Check, diagnose
from smartnode.ops.pg_migrate import migrate_to_postgres

STYLES = {OK: "green", WARN: "yellow", FAIL: "red"}
TO_HELP = "postgresql+asyncpg://USER:PASSWORD@HOST/DB: an empty database."


def add_ops_commands(app: typer.Typer, token_app: typer.Typer) -> None:
    """Register the commands on the root app and its `token` group."""
    token_app.command("list")(token_list)
    token_app.command("revoke")(token_revoke)
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("migrate-to-postgres")(migrate_to_postgres_command)
    app.command("doctor")(doctor)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "never"


def token_list() -> None:
    """Every token of the node (admin, member, apps' OAuth tokens); never their secrets."""

    async def work(settings: Settings) -> list[TokenView]:
        async with acting(settings) as a:
            return await all_tokens(a.session, a.principal)

    tokens = run(work)
    if not tokens:
        out().print("No tokens: `smartnode token create LABEL` makes one.")
        return
    table = Table("id", "kind", "owner", "label / app", "scopes", "created", "last used")
    for t in tokens:
        owner = t.owner or "(node)"
        label = f"{t.app} ({t.label})" if t.app else t.label
        scopes = " ".join(t.scopes) or "all"
        table.add_row(str(t.id), t.kind, owner, label, scopes, _when(t.created_at),
                      _when(t.last_used_at))  # fmt: skip
    out().print(table)


def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The id `smartnode token list` shows.")],
) -> None:
    """Revoke one token: it stops working at once."""

    async def work(settings: Settings) -> TokenView:
        async with acting(settings) as a:
            return await revoke_any_token(a.session, a.principal, token_id)

    gone = run(work)
    who = f" of {gone.owner}" if gone.owner else ""
    out().print(f"Revoked token {gone.id} ({gone.kind}{who}, {gone.app or gone.label!r}).")


def backup(
    path: Annotated[Path, typer.Argument(help="The new file to write (must not exist).")],
) -> None:
    """Copy the node's SQLite database while it runs (PostgreSQL: says what to run instead)."""
    settings = guarded(load_settings)
    report = guarded(lambda: backup_sqlite(settings.database_url, path), settings.database_url)
    out().print(f"Backed up the database to {report.path} ({report.size} bytes, "
                f"{report.tables} tables).")  # fmt: skip
    key = "SMARTNODE_SECRET_KEY" if settings.secret_key else str(settings.data_dir / "secret.key")
    err().print(f"Private keys in it open only with {key}: keep a copy of that too, apart.")


def restore(
    path: Annotated[Path, typer.Argument(help="A file `smartnode backup` wrote.")],
) -> None:
    """Put a backup in place as the node's SQLite database (where none is yet)."""
    settings = guarded(load_settings)
    report = guarded(lambda: restore_sqlite(path, settings.database_url), settings.database_url)
    out().print(f"Restored {path} as {report.path} ({report.size} bytes, {report.tables} "
                "tables). Run `smartnode init` (it upgrades an older backup), then start "
                "the node.")  # fmt: skip
    key = "SMARTNODE_SECRET_KEY" if settings.secret_key else str(settings.data_dir / "secret.key")
    err().print(f"The node signs only with the secret key it had: put it back as {key}, and "
                "keep SMARTNODE_DOMAIN and SMARTNODE_BASE_URL as they were.")  # fmt: skip


def migrate_to_postgres_command(
    to: Annotated[str, typer.Option("--to", help=TO_HELP)],
) -> None:
    """Copy this SQLite node into an empty PostgreSQL database (stop the node first)."""
    settings = guarded(load_settings)
    console = err()

    def copied(table: str, rows: int) -> None:
        if rows:
            console.print(f"  {table}: {rows} rows")

    work = migrate_to_postgres(settings.database_url, to, copied)
    report = guarded(lambda: run_loop(work), settings.database_url)
    shown = safe_url(to)
    out().print(f"Copied {report.total} rows of {len(report.rows)} tables to {shown}. Set "
                f"SMARTNODE_DATABASE_URL={shown} (with its password) and start the node; "
                "keep the SQLite file until it runs.")  # fmt: skip


def doctor() -> None:
    """Check configuration, database, migrations, keys, disk, queues and the worker."""

    async def work(settings: Settings) -> list[Check]:
        return await diagnose(settings, now())

    checks = run(work, needs_schema=False)
    console = out()
    width = max(len(check.name) for check in checks)
    for check in checks:
        line = Text(f"{check.level:<4} ", style=STYLES[check.level])
        line.append(f"{check.name:<{width}}  {check.message}")
        console.print(line)
    if any(check.level == FAIL for check in checks):
        raise typer.Exit(1)
