"""`smartnode member create|list` and `smartnode project create|list`: members and projects
made by the API's use cases (as whoever the command acts as, cli_acting.py) and listed as a
table or as JSON."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from smartnode.actors import member_cases, project_cases
from smartnode.actors.inputs import MemberInput, ProjectInput
from smartnode.actors.members import list_members
from smartnode.actors.projects import list_projects
from smartnode.cli_acting import acting
from smartnode.cli_support import database_session, handle, out, run, split_list
from smartnode.config import Settings
from smartnode.federation.sanitize import text_to_html
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile, Project

# ---------------------------------------------------------------- members

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def member_create(
    username: Annotated[str, typer.Argument(help="ASCII handle: a-z, 0-9, _ with . or -.")],
    name: Annotated[str, typer.Option(help="Display name, any script.")],
    email: Annotated[str | None, typer.Option(help="Private contact address.")] = None,
    country: Annotated[str | None, typer.Option(help="Default: the node's country.")] = None,
    city: Annotated[str, typer.Option()] = "",
    language: Annotated[str | None, typer.Option(help="Own language of the bio.")] = None,
    languages: Annotated[str, typer.Option(help="Working languages: sv,en.")] = "",
    skills: Annotated[str, typer.Option(help='Comma-separated: "sound design,mixing".')] = "",
    bio: Annotated[str, typer.Option(help="Plain text; blank lines make paragraphs.")] = "",
    discoverable: Annotated[bool, typer.Option(help="Listed in directories.")] = False,
    indexable: Annotated[bool | None, typer.Option(help="Searchable (default: as listed).")] = None,
) -> None:
    """Create a member with keys and a profile."""
    spoken = split_list(languages)
    own = language or (spoken[0] if spoken else "en")
    fields: dict[str, Any] = {
        "username": username,
        "name": name,
        "email": email,
        "city": city,
        "language": own,
        "languages": spoken or [own],
        "skills": split_list(skills),
        "summary": text_to_html(bio),
        "discoverable": discoverable,
        "indexable": discoverable if indexable is None else indexable,
    }

    async def create(settings: Settings) -> str:
        data = MemberInput.model_validate(
            {**fields, "country": settings.node_country if country is None else country}
        )
        async with acting(settings) as a:
            actor, _ = await member_cases.add_member(a.session, settings, a.principal, data, a.now)
            return f"Created member {handle(actor.username, settings)}: {actor.uri}"

    out().print(run(create))


def member_list(as_json: Json = False) -> None:
    """List the node's live members."""

    async def rows(settings: Settings) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async with database_session(settings) as session:
            while page := await list_members(
                session, limit=200, after_id=found[-1]["id"] if found else None
            ):
                found.extend(_member_row(actor, profile, settings) for actor, profile in page)
        return found

    members = run(rows)
    if as_json:
        typer.echo(orjson.dumps([{k: v for k, v in m.items() if k != "id"} for m in members]))
        return
    table = Table("username", "name", "handle", "country", "discoverable")
    for m in members:
        table.add_row(m["username"], m["name"], m["handle"], m["country"], _yes(m["discoverable"]))
    out().print(table)


def _member_row(actor: Actor, profile: MemberProfile, settings: Settings) -> dict[str, Any]:
    return {
        "id": actor.id,
        "username": actor.username,
        "name": actor.name,
        "handle": handle(actor.username, settings),
        "uri": actor.uri,
        "country": profile.country,
        "city": profile.city,
        "languages": profile.languages,
        "skills": profile.skills,
        "discoverable": actor.discoverable,
        "indexable": actor.indexable,
    }


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# ---------------------------------------------------------------- projects


def project_create(
    name: Annotated[str, typer.Option(help="Project name, any script.")],
    coordinator: Annotated[
        str | None,
        typer.Option(help="Username of the coordinating member (default: the one acted for)."),
    ] = None,
    slug: Annotated[
        str | None, typer.Argument(help="ASCII slug; default: made from --name.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="Default: the node's country.")] = None,
    city: Annotated[str, typer.Option()] = "",
    sectors: Annotated[str, typer.Option(help='Comma-separated: "music,film".')] = "",
    summary: Annotated[str, typer.Option(help="Plain text; blank lines make paragraphs.")] = "",
    language: Annotated[str, typer.Option(help="Language of the summary.")] = "en",
    website: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a project coordinated by a local member."""
    fields: dict[str, Any] = {
        "slug": slug,
        "name": name,
        "coordinator": coordinator,
        "city": city,
        "sectors": split_list(sectors),
        "summary": text_to_html(summary),
        "language": language,
        "website": website,
    }

    async def create(settings: Settings) -> str:
        data = ProjectInput.model_validate(
            {**fields, "country": settings.node_country if country is None else country}
        )
        async with acting(settings) as a:
            actor, _, _ = await project_cases.add_project(
                a.session, settings, a.principal, data, a.now
            )
            return f"Created project {handle(actor.username, settings)}: {actor.uri}"

    out().print(run(create))


def project_list(as_json: Json = False) -> None:
    """List the node's live projects."""

    async def rows(settings: Settings) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async with database_session(settings) as session:
            while page := await list_projects(
                session, limit=200, after_id=found[-1]["id"] if found else None
            ):
                found.extend(_project_row(actor, project, settings) for actor, project in page)
        return found

    projects = run(rows)
    if as_json:
        typer.echo(orjson.dumps([{k: v for k, v in p.items() if k != "id"} for p in projects]))
        return
    table = Table("slug", "name", "handle", "country", "city", "sectors")
    for p in projects:
        table.add_row(
            p["slug"], p["name"], p["handle"], p["country"], p["city"], ", ".join(p["sectors"])
        )
    out().print(table)


def _project_row(actor: Actor, project: Project, settings: Settings) -> dict[str, Any]:
    return {
        "id": actor.id,
        "slug": actor.username,
        "name": actor.name,
        "handle": handle(actor.username, settings),
        "uri": actor.uri,
        "country": project.country,
        "city": project.city,
        "sectors": project.sectors,
    }


def add_directory_commands(member_app: typer.Typer, project_app: typer.Typer) -> None:
    """Register the commands on `smartnode member` and `smartnode project`."""
    member_app.command("create")(member_create)
    member_app.command("list")(member_list)
    project_app.command("create")(project_create)
    project_app.command("list")(project_list)
