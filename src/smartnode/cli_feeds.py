"""`smartnode feed create|list|edit|delete`: topic feeds that outside communities follow
(ActivityPub, RSS, Atom)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from smartnode.actors.federate import publish_actor_delete, publish_actor_update
from smartnode.actors.feeds import (
    FILTER_KEYS,
    FeedInput,
    FeedUpdate,
    create_feed,
    delete_feed,
    edit_feed,
    live_feeds,
)
from smartnode.actors.records import node_uris
from smartnode.cli_support import database_session, handle, now, out, run
from smartnode.config import Settings
from smartnode.errors import ValidationFailed
from smartnode.matching.feeds import refeed

feed_app = typer.Typer(
    help="Topic feeds: Service actors that boost matching public calls; also RSS and Atom.",
    no_args_is_help=True,
)
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@feed_app.command("create")
def feed_create(
    slug: Annotated[str, typer.Argument(help="ASCII handle, e.g. calls-music.")],
    name: Annotated[str, typer.Option(help="Display name: 'Open calls in music'.")],
    summary: Annotated[str, typer.Option(help="Plain text; the filter is added in words.")] = "",
    sector: Annotated[str | None, typer.Option(help="Sector, e.g. music.")] = None,
    skill: Annotated[str | None, typer.Option(help="ESCO skill URI.")] = None,
    occupation: Annotated[str | None, typer.Option(help="ESCO occupation URI.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country of the work, e.g. BE.")] = None,
    remote: Annotated[
        bool | None, typer.Option("--remote/--on-site", help="Only remote / only on-site calls.")
    ] = None,
    language: Annotated[str, typer.Option(help="Language of name and summary.")] = "en",
) -> None:
    """Create a topic feed; every filter given must match a call for the feed to carry it."""
    fields: dict[str, Any] = {
        "slug": slug, "name": name, "summary": summary, "language": language, "sector": sector,
        "skill": skill, "occupation": occupation, "country": country, "remote": remote,
    }  # fmt: skip

    async def create(settings: Settings) -> list[str]:
        data = FeedInput.model_validate(fields)
        async with database_session(settings) as session, session.begin():
            actor, feed = await create_feed(session, settings, data, now())
            uris = node_uris(settings)
            return [
                f"Created feed {handle(actor.username, settings)} ({actor.uri})",
                f"Filter: {orjson.dumps(feed.filter).decode()}",
                f"RSS: {uris.syndication(actor.username, 'rss')}",
                f"Atom: {uris.syndication(actor.username, 'atom')}",
            ]

    for line in run(create):
        out().print(line)


@feed_app.command("list")
def feed_list(as_json: Json = False) -> None:
    """List the node's live topic feeds and their filters."""

    async def rows(settings: Settings) -> list[dict[str, Any]]:
        async with database_session(settings) as session:
            return [
                {"slug": a.username, "name": a.name, "handle": handle(a.username, settings),
                 "uri": a.uri, "filter": dict(f.filter)}
                for a, f in await live_feeds(session)
            ]  # fmt: skip

    feeds = run(rows)
    if as_json:
        typer.echo(orjson.dumps(feeds))
        return
    table = Table("slug", "name", "handle", "filter")
    for feed in feeds:
        table.add_row(
            feed["slug"], feed["name"], feed["handle"], orjson.dumps(feed["filter"]).decode()
        )
    out().print(table)


@feed_app.command("edit")
def feed_edit(
    slug: Annotated[str, typer.Argument(help="The feed's slug (never changes).")],
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    summary: Annotated[str | None, typer.Option(help="New description (plain text).")] = None,
    sector: Annotated[str | None, typer.Option(help="Sector, e.g. music.")] = None,
    skill: Annotated[str | None, typer.Option(help="ESCO skill URI.")] = None,
    occupation: Annotated[str | None, typer.Option(help="ESCO occupation URI.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country of the work, e.g. BE.")] = None,
    remote: Annotated[
        bool | None, typer.Option("--remote/--on-site", help="Only remote / only on-site calls.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="Language of name and summary.")] = None,
    clear: Annotated[
        list[str] | None, typer.Option(help="A filter key to remove (repeatable): sector, …")
    ] = None,
) -> None:
    """Change a feed; followers get Update, and a new filter re-sorts what the feed boosts."""
    given: dict[str, Any] = {
        "name": name, "summary": summary, "language": language, "sector": sector,
        "skill": skill, "occupation": occupation, "country": country, "remote": remote,
    }  # fmt: skip
    fields = {key: value for key, value in given.items() if value is not None}
    for key in clear or []:
        if key not in FILTER_KEYS:
            raise typer.BadParameter(f"{key!r} is not a filter key ({', '.join(FILTER_KEYS)})")
        fields[key] = None

    async def edit(settings: Settings) -> list[str]:
        if not fields:
            raise ValidationFailed("nothing to change: give --name, --summary, a filter or --clear")
        data = FeedUpdate.model_validate(fields)
        async with database_session(settings) as session, session.begin():
            moment, uris = now(), node_uris(settings)
            actor, feed, refiltered = await edit_feed(session, slug, data, moment)
            await publish_actor_update(session, uris, actor, moment)
            lines = [f"Edited feed {handle(actor.username, settings)}",
                     f"Filter: {orjson.dumps(feed.filter).decode()}"]  # fmt: skip
            if refiltered:
                changes = await refeed(session, uris, actor, feed, moment)
                lines.append(f"Boosts: {changes.announced} announced, {changes.undone} undone")
            return lines

    for line in run(edit):
        out().print(line)


@feed_app.command("delete")
def feed_delete(slug: Annotated[str, typer.Argument(help="The feed's slug.")]) -> None:
    """Delete a topic feed: followers get a Delete, its id answers 410 from then on."""

    async def delete(settings: Settings) -> str:
        async with database_session(settings) as session, session.begin():
            moment = now()
            actor = await delete_feed(session, slug, moment)
            await publish_actor_delete(session, node_uris(settings), actor, moment)
        return f"Deleted feed {handle(actor.username, settings)}"

    out().print(run(delete))


def add_feed_commands(app: typer.Typer) -> None:
    """Register `smartnode feed …`."""
    app.add_typer(feed_app, name="feed")
