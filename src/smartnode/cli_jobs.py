"""`smartnode jobs`: what the worker's queues hold, the rows it gave up on, and retrying them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from smartnode.cli_support import database_session, now, out, run
from smartnode.config import Settings
from smartnode.storage.queue_report import (
    QUEUES,
    FailedRow,
    QueueCount,
    failed_rows,
    queue_counts,
    retry_failed,
)

jobs_app = typer.Typer(
    help="The worker's queues: inbox messages, background jobs, deliveries.",
    no_args_is_help=True,
)

Queue = Annotated[str, typer.Option(help=f"One of: {', '.join(QUEUES)}.")]
Kind = Annotated[
    str | None, typer.Option(help="Only this kind (activity type, job kind or delivery host).")
]


@jobs_app.command("list")
def jobs_list() -> None:
    """Pending and failed rows of every queue, by kind, with the oldest due time."""

    async def work(settings: Settings) -> list[QueueCount]:
        async with database_session(settings) as session:
            return await queue_counts(session)

    counts = run(work)
    if not counts:
        out().print("Every queue is empty: nothing pending, nothing failed.")
        return
    table = Table("queue", "kind", "state", "rows", "oldest due")
    for row in counts:
        oldest = row.oldest.isoformat(timespec="seconds") if row.oldest else ""
        table.add_row(row.queue, row.kind, row.state, str(row.count), oldest)
    out().print(table)


@jobs_app.command("failed")
def jobs_failed(
    queue: Queue = "jobs",
    kind: Kind = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
) -> None:
    """The rows the worker gave up on, with the reason."""

    async def work(settings: Settings) -> list[FailedRow]:
        async with database_session(settings) as session:
            return list(await failed_rows(session, queue, kind=kind, limit=limit))

    rows = run(work)
    if not rows:
        out().print(f"No failed rows in the {queue} queue.")
        return
    table = Table("id", "kind", "attempts", "reason")
    for row in rows:
        table.add_row(str(row.id), row.kind, str(row.attempts), row.error)
    out().print(table)


@jobs_app.command("retry")
def jobs_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Row ids; none: every failed row.")
    ] = None,
    queue: Queue = "jobs",
    kind: Kind = None,
) -> None:
    """Put failed rows back to work now, with their attempts counted afresh."""

    async def work(settings: Settings) -> int:
        async with database_session(settings) as session, session.begin():
            return await retry_failed(session, queue, now(), ids=ids or (), kind=kind)

    count = run(work)
    out().print(
        f"{count} failed row{'s' if count != 1 else ''} of the {queue} queue will run again."
    )
