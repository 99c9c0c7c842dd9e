"""The `smartnode` command: init, serve, member and project admin, seed, tokens, demo."""

from __future__ import annotations

from typing import Annotated

import typer

from smartnode.cli_accounts import add_account_commands
from smartnode.cli_acting import acting_for, acting_token
from smartnode.cli_changes import add_change_commands
from smartnode.cli_demo import add_demo_commands
from smartnode.cli_directory import add_directory_commands
from smartnode.cli_federation import (
    block_app,
    deliveries_command,
    follow_command,
    peer_app,
    unfollow_command,
    worker_command,
)
from smartnode.cli_feeds import add_feed_commands
from smartnode.cli_jobs import jobs_app
from smartnode.cli_matching import add_matching_commands
from smartnode.cli_ops import add_ops_commands
from smartnode.cli_search import add_search_commands
from smartnode.cli_serve import serve_command
from smartnode.cli_support import (
    InitReport,
    database_session,
    err,
    init_node,
    now,
    out,
    run,
    safe_url,
    show_traceback,
)
from smartnode.config import Settings

app = typer.Typer(
    name="smartnode",
    help="Run and administer a national node of the Smart cooperative.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
member_app = typer.Typer(help="Members of this node.", no_args_is_help=True)
project_app = typer.Typer(help="Projects hosted on this node.", no_args_is_help=True)
token_app = typer.Typer(
    help="Bearer tokens for the APIs: made, listed, revoked.", no_args_is_help=True
)
app.add_typer(member_app, name="member")
add_account_commands(member_app)
app.add_typer(project_app, name="project")
app.add_typer(token_app, name="token")
app.add_typer(block_app, name="block")
app.add_typer(peer_app, name="peer")
app.command("serve")(serve_command)
app.command("worker")(worker_command)
app.command("follow")(follow_command)
app.command("unfollow")(unfollow_command)
app.command("deliveries")(deliveries_command)
app.add_typer(jobs_app, name="jobs")
add_matching_commands(app)
add_feed_commands(app)
add_search_commands(app)
add_demo_commands(app)
add_change_commands(app, member_app, project_app)
add_ops_commands(app, token_app)
add_directory_commands(member_app, project_app)


# ---------------------------------------------------------------- init


@app.command()
def init() -> None:
    """Create or upgrade the database and the node actor (safe to run again)."""

    async def work(settings: Settings) -> list[str]:
        key_from_file = settings.secret_key is None
        report = await init_node(settings)
        return init_lines(report, settings, key_from_file=key_from_file)

    for line in run(work, needs_schema=False):
        out().print(line)


def init_lines(report: InitReport, settings: Settings, *, key_from_file: bool) -> list[str]:
    """What `init` tells the operator."""
    shown = safe_url(settings.database_url)
    revision = ", ".join(sorted(report.after))
    if report.before == report.after:
        lines = [f"Database {shown} is up to date (revision {revision})."]
    else:
        was = ", ".join(sorted(report.before)) or "empty"
        lines = [f"Database {shown} migrated: {was} → {revision}."]
    if report.node_created:
        lines.append(f"Created the node actor {report.node_uri} with a new RSA-2048 key.")
    else:
        lines.append(f"The node actor {report.node_uri} exists already.")
    if key_from_file:
        key_file = settings.data_dir / "secret.key"
        lines.append(f"Private keys are encrypted with the key in {key_file}: back it up.")
    return lines


# ---------------------------------------------------------------- tokens


@token_app.command("create")
def token_create(
    label: Annotated[str, typer.Argument(help="What the token is for.")],
    member: Annotated[
        str | None, typer.Option("--member", help="A member token acting for this username.")
    ] = None,
) -> None:
    """Print a new token for the JSON API (shown once; only its hash is stored)."""

    async def create(settings: Settings) -> str:
        from smartnode.accounts.tokens import create_token
        from smartnode.actors.records import get_local_actor
        from smartnode.federation.uris import ActorKind

        async with database_session(settings) as session, session.begin():
            actor_id = None
            if member is not None:
                actor_id = (await get_local_actor(session, ActorKind.MEMBER, member)).id
            return await create_token(session, label=label, now=now(), actor_id=actor_id)

    token = run(create)
    typer.echo(token)
    who = "" if member is None else f" for member {member.lower()!r}"
    err().print(f"Token {label!r}{who} created. Store it now: it cannot be shown again.")


# ---------------------------------------------------------------- entry point


@app.callback()
def root(
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the traceback of an unexpected error.")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="SMARTNODE_TOKEN",
            show_default=False,
            help="Act as this API token's holder (admin, member or app) instead of as the "
            "operator, with the API's rules.",
        ),
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option("--as", help="Act for this member (as an admin token with ?as= does)."),
    ] = None,
) -> None:
    """Run and administer a national node of the Smart cooperative."""
    show_traceback.set(traceback)
    acting_token.set(token)
    acting_for.set(as_)


def main() -> None:
    """Console entry point: the app, with Ctrl-C ending quietly."""
    try:
        app(prog_name="smartnode")
    except KeyboardInterrupt:
        err().print("Interrupted.")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
