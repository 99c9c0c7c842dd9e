"""`smartnode member edit|delete`, `project edit|delete|role|remove`, `post delete` and
`application withdraw`: the native API's use cases from the command line, as whoever the
command acts as (cli_acting.py), decided by the same rules."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from smartnode.actors import member_cases, project_cases
from smartnode.actors.inputs import MemberUpdate, ProjectUpdate
from smartnode.actors.projects import Role
from smartnode.cli_acting import acting
from smartnode.cli_support import handle, out, run, split_list
from smartnode.config import Settings
from smartnode.content import application_cases, post_cases, team_cases
from smartnode.federation.sanitize import text_to_html

post_app = typer.Typer(help="Posts (Notes and Articles) of this node.", no_args_is_help=True)
application_app = typer.Typer(help="Applications to open calls.", no_args_is_help=True)

Username = Annotated[str, typer.Argument(help="The member's username.")]
Slug = Annotated[str, typer.Argument(help="The project's slug.")]
Flag = Annotated[bool | None, typer.Option(show_default=False)]


def _given(**fields: Any) -> dict[str, Any]:
    """The options given (None: not given)."""
    return {key: value for key, value in fields.items() if value is not None}


def member_edit(
    username: Username,
    name: Annotated[str | None, typer.Option()] = None,
    bio: Annotated[str | None, typer.Option(help="Plain text; blank lines: paragraphs.")] = None,
    city: Annotated[str | None, typer.Option()] = None,
    country: Annotated[str | None, typer.Option()] = None,
    language: Annotated[str | None, typer.Option(help="Own language of the bio.")] = None,
    languages: Annotated[str | None, typer.Option(help="Working languages: sv,en.")] = None,
    skills: Annotated[str | None, typer.Option(help='Comma-separated: "mixing".')] = None,
    discoverable: Flag = None,
    indexable: Flag = None,
) -> None:
    """Change a member's profile (the member themself, or an admin); followers get Update."""
    given = _given(
        name=name, summary=text_to_html(bio) if bio is not None else None, city=city,
        country=country, language=language, discoverable=discoverable, indexable=indexable,
        languages=split_list(languages) if languages is not None else None,
        skills=split_list(skills) if skills is not None else None,
    )  # fmt: skip

    async def work(settings: Settings) -> str:
        change = MemberUpdate.model_validate(given)
        async with acting(settings) as a:
            actor, _ = await member_cases.change_profile(
                a.session, a.uris, a.principal, username, change, a.now
            )
            return f"Changed member {handle(actor.username, settings)}."

    out().print(run(work))


def member_delete(username: Username) -> None:
    """Delete a member (admin): 410 from then on; their followers get Delete."""

    async def work(settings: Settings) -> str:
        async with acting(settings) as a:
            await member_cases.remove_member(a.session, a.uris, a.principal, username, a.now)
        return f"Deleted member {handle(username.lower(), settings)}."

    out().print(run(work))


def project_edit(
    slug: Slug,
    name: Annotated[str | None, typer.Option()] = None,
    summary: Annotated[str | None, typer.Option(help="Plain text.")] = None,
    city: Annotated[str | None, typer.Option()] = None,
    country: Annotated[str | None, typer.Option()] = None,
    sectors: Annotated[str | None, typer.Option(help='Comma-separated: "music,film".')] = None,
    website: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Change a project (a coordinator, or an admin); its followers get Update."""
    given = _given(
        name=name, summary=text_to_html(summary) if summary is not None else None, city=city,
        country=country, website=website,
        sectors=split_list(sectors) if sectors is not None else None,
    )  # fmt: skip

    async def work(settings: Settings) -> str:
        change = ProjectUpdate.model_validate(given)
        async with acting(settings) as a:
            actor, _, _ = await project_cases.change_project(
                a.session, a.uris, a.principal, slug, change, a.now
            )
            return f"Changed project {handle(actor.username, settings)}."

    out().print(run(work))


def project_delete(slug: Slug) -> None:
    """Delete a project (admin): 410 from then on; its followers get Delete."""

    async def work(settings: Settings) -> str:
        async with acting(settings) as a:
            await project_cases.remove_project(a.session, a.uris, a.principal, slug, a.now)
        return f"Deleted project {handle(slug.lower(), settings)}."

    out().print(run(work))


def project_role(
    slug: Slug,
    username: Username,
    role: Annotated[Role, typer.Argument(help="coordinator, member or guest.")],
) -> None:
    """Put a member of this node in a project's team or change their role (a coordinator,
    or an admin); the Add is published."""

    async def work(settings: Settings) -> str:
        async with acting(settings) as a:
            _, member, added = await team_cases.set_local_role(
                a.session, a.uris, a.principal, slug, username, role, a.now
            )
            done = "added" if added else "role changed"
            return f"{member.username} is {role.value} in {slug} ({done})."

    out().print(run(work))


def project_remove(slug: Slug, username: Username) -> None:
    """Take a member of this node out of a project's team (a coordinator, or an admin)."""

    async def work(settings: Settings) -> str:
        async with acting(settings) as a:
            await team_cases.remove_local(a.session, a.uris, a.principal, slug, username, a.now)
        return f"{username.lower()} is no longer in the team of {slug}."

    out().print(run(work))


@post_app.command("delete")
def post_delete(post: Annotated[str, typer.Argument(help="The post's id (its token).")]) -> None:
    """Delete a post (its author, a coordinator of its project, or an admin)."""

    async def work(settings: Settings) -> str:
        async with acting(settings) as a:
            await post_cases.delete_post(a.session, a.uris, a.principal, post, a.now)
        return f"Deleted post {post}."

    out().print(run(work))


@application_app.command("withdraw")
def application_withdraw(
    application: Annotated[int, typer.Argument(help="The application's id.")],
) -> None:
    """Withdraw an application (its applicant)."""

    async def work(settings: Settings) -> str:
        async with acting(settings) as a:
            view = await application_cases.withdraw_application(
                a.session, a.uris, a.principal, application, a.now
            )
            return f"Application {view.app.id} is {view.app.state}."

    out().print(run(work))


def add_change_commands(
    app: typer.Typer, member_app: typer.Typer, project_app: typer.Typer
) -> None:
    """Register the commands on `smartnode`, `smartnode member` and `smartnode project`."""
    member_app.command("edit")(member_edit)
    member_app.command("delete")(member_delete)
    project_app.command("edit")(project_edit)
    project_app.command("delete")(project_delete)
    project_app.command("role")(project_role)
    project_app.command("remove")(project_remove)
    app.add_typer(post_app, name="post")
    app.add_typer(application_app, name="application")
