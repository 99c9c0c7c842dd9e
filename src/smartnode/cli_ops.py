"""`smartnode token list|revoke`, `smartnode backup` and `smartnode doctor`: for operators."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from smartnode.accounts.token_admin import TokenView, all_tokens, revoke_any_token
from smartnode.cli_acting import acting
from smartnode.cli_support import err, guarded, now, out, run
from smartnode.config import Settings, load_settings
from smartnode.ops.backup import backup_sqlite
from smartnode.ops.doctor import FAIL, OK, WARN, Check, diagnose

STYLES = {OK: "green", WARN: "yellow", FAIL: "red"}


def add_ops_commands(app: typer.Typer, token_app: typer.Typer) -> None:
    """Register the commands on the root app and its `token` group."""
    token_app.command("list")(token_list)
    token_app.command("revoke")(token_revoke)
    app.command("backup")(backup)
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
