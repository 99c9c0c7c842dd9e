"""`smartnode seed` and `smartnode demo`: realistic data and several nodes on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smartnode.accounts.onboarding import invitation_url, invite_member
from smartnode.accounts.principal import admin
from smartnode.cli_support import (
    database_session,
    guarded,
    handle,
    now,
    out,
    run,
    split_list,
)
from smartnode.config import Settings
from smartnode.seed import SeedReport, has_members, load_country, seed_country


def add_demo_commands(app: typer.Typer) -> None:
    """Register `seed` and `demo` on the main command."""
    app.command()(seed)
    app.command()(demo)


def seed(
    country: Annotated[
        str | None, typer.Option(help="Whose data: AT BE DE ES FR IT NL SE (default: the node's).")
    ] = None,
    if_empty: Annotated[bool, typer.Option(help="Do nothing if the node has members.")] = False,
) -> None:
    """Add realistic members, projects, teams, open calls and events of a country (existing
    names are kept)."""

    async def work(settings: Settings) -> list[str]:
        code = country or settings.node_country or "SE"
        load_country(code)  # unknown country: fail before touching the database
        async with database_session(settings) as session, session.begin():
            if if_empty and await has_members(session):
                return ["The node has members already: nothing seeded."]
            report = await seed_country(session, settings, code, now())
            lines = seed_lines(report, settings)
            if report.members:  # the first seeded member signs in through an invitation
                first = report.members[0]
                made = await invite_member(session, settings, admin(), first, now())
                url = invitation_url(settings, made.link.token)
                lines += [
                    f"To sign in as {first}, open {url} and choose a password (the link "
                    f"works once; `smartnode member invite {first}` makes another)."
                ]
        return lines

    for line in run(work):
        out().print(line)


def seed_lines(report: SeedReport, settings: Settings) -> list[str]:
    """What `seed` tells the operator."""
    lines = [
        f"Seeded {report.country}: {len(report.members)} members, {len(report.projects)} projects."
    ]
    if report.calls or report.events:
        calls, events = len(report.calls), len(report.events)
        calls_said = f"{calls} open call{'s' * (calls != 1)}"
        lines.append(f"Published {calls_said} and {events} event{'s' * (events != 1)}.")
    if report.members:
        shown = ", ".join(handle(u, settings) for u in report.members[:3])
        lines.append(f"Members include {shown}.")
    if report.skipped:
        lines.append(f"Left alone (name taken): {', '.join(report.skipped)}.")
    return lines


def demo(
    nodes: Annotated[str, typer.Option(help="Country codes, e.g. se,be,fr.")] = "se,be,fr",
    base_port: Annotated[int, typer.Option(min=1024, max=65000)] = 8100,
    data_dir: Annotated[Path, typer.Option(help="One folder per node inside.")] = Path("data/demo"),
    fresh: Annotated[bool, typer.Option(help="Delete the nodes' data first.")] = False,
    duration: Annotated[
        float | None, typer.Option(min=0, help="Stop after this many seconds.")
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    peering: Annotated[
        bool,
        typer.Option(
            "--peering/--no-peering", help="Make every node a peer of every other (default)."
        ),
    ] = True,
) -> None:
    """Run several seeded nodes on consecutive 127.0.0.1 ports in one process (Ctrl-C stops);
    each adds the others as peers, so their boards fill with every node's open calls."""
    from smartnode.demo import DemoOptions, run_demo

    options = DemoOptions(
        countries=split_list(nodes),
        base_port=base_port,
        data_dir=data_dir,
        fresh=fresh,
        duration=duration,
        access_log=access_log,
        peering=peering,
    )
    guarded(lambda: run_demo(options, out()))
