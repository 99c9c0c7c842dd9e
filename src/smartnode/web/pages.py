"""Server-rendered pages (Jinja2, autoescaped, no JavaScript): home, directories, profiles.

Actor pages live at the actor ids; api/activitypub.py negotiates and calls `actor_page` here.
Only bios (sanitised when stored) are marked safe; every other text is escaped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode import __version__
from smartnode.actors.collections import (
    discoverable_projects,
    member_projects,
    tagged_members,
    tagged_projects,
)
from smartnode.actors.handles import handle_of
from smartnode.actors.members import list_members
from smartnode.actors.node import get_node_actor
from smartnode.actors.projects import team
from smartnode.actors.to_ap import LANGUAGE_NAMES, hashtag_name
from smartnode.api.deps import SessionDep
from smartnode.config import UI_LANGUAGES, Settings
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile, Project
from smartnode.web import formats, i18n, listing_views, notice_views
from smartnode.web.follow_button import follow_button
from smartnode.web.i18n import N_
from smartnode.web.project_actions import project_actions
from smartnode.web.viewer import page_viewer, request_language, viewer_of

HERE = Path(__file__).parent
UI_LANG = "en"
#: The switcher's choices: each language named in itself.
SWITCHER = [(code, i18n.language_name(code)) for code in UI_LANGUAGES]
HOME_LIMIT = 12
DIRECTORY_LIMIT = 48
TEAM_LIMIT = 200
_TAG_NAME = re.compile(r"^\w{1,100}$")
#: A member's role in a project, as pages name it (translated when shown).
ROLE_NAMES = {"coordinator": N_("coordinator"), "member": N_("member"), "guest": N_("guest")}
_HEADINGS = {404: N_("Not found"), 410: N_("Gone"), 422: N_("Not understood")}

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
i18n.install(_env)
formats.install(_env)


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    lang: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a template in `lang`, by default the viewer's language (their setting, else the
    switcher's cookie, else Accept-Language, else the node's), with the node's name,
    description and domain in `node`, the switcher's languages, and whether they signed in."""
    settings: Settings = request.app.state.settings
    language = lang if lang in UI_LANGUAGES else request_language(request, settings)
    description, description_language = settings.node_description_for(language)
    node = {
        "name": settings.node_name,
        "description": description,
        "description_lang": description_language,
        "domain": settings.domain,
        "country": settings.node_country,
        "language": settings.language,
    }
    context.setdefault("signed_in", page_viewer(request).signed_in)
    context.setdefault("nav_unread", page_viewer(request).unread)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    token = i18n.current_language.set(language)
    try:
        html = _env.get_template(template).render(
            ui_lang=language, node=node, ui_languages=SWITCHER, here=here, **context
        )
    finally:
        i18n.current_language.reset(token)
    return HTMLResponse(html, status_code=status_code, headers=_language_headers(headers, language))


def _language_headers(headers: dict[str, str] | None, language: str) -> dict[str, str]:
    """The page's headers with its language and what it was chosen by (`Vary`)."""
    merged = {k: v for k, v in (headers or {}).items() if k.lower() != "vary"}
    given = ",".join(v for k, v in (headers or {}).items() if k.lower() == "vary")
    vary = [v.strip() for v in given.split(",") if v.strip()]
    vary += [v for v in ("Accept-Language", "Cookie") if v not in vary]
    return {**merged, "Vary": ", ".join(vary), "Content-Language": language}


def error_page(
    request: Request, status_code: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """The 404 / 410 page; the heading and `message` (an N_-marked message, or a safe
    message of an error) are translated when shown."""
    heading = _HEADINGS.get(status_code, N_("Error"))
    return render(
        request,
        "error.html",
        status_code=status_code,
        headers=headers,
        heading=heading,
        message=message,
        noindex=True,
    )


def _place(city: str, country: str) -> tuple[str, str] | None:
    """City and country code, written by the `place` filter in the page's language."""
    return (city, country) if city or country else None


def _shown(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/")


def _tags(uris: NodeUris, tags: list[str]) -> list[dict[str, str]]:
    return [{"text": tag, "url": uris.tag(name)} for tag in tags if (name := hashtag_name(tag))]


def _translations(actor: Actor) -> list[dict[str, Any]]:
    """Bios in other languages than the author's; sanitised HTML when stored."""
    return [
        {"lang": lang, "label": i18n.language_name(lang), "html": Markup(html)}  # noqa: S704
        for lang, html in actor.summary_map.items()
        if lang != actor.language and html
    ]


def _actor_view(actor: Actor, settings: Settings) -> dict[str, Any]:
    return {
        "name": actor.name,
        "handle": handle_of(actor, settings.domain),
        "url": actor.uri,
        "icon_url": actor.icon_url,
        "image_url": actor.image_url,
        "language": actor.language,
        "bio": Markup(actor.summary),  # noqa: S704 - sanitised by clean_html when stored
        "translations": _translations(actor),
    }


def member_view(
    actor: Actor, profile: MemberProfile, settings: Settings, uris: NodeUris
) -> dict[str, Any]:
    """What a member card or profile shows."""
    links = [
        {"name": link["name"], "url": link["url"], "shown": _shown(link["url"])}
        for link in profile.links
        if str(link.get("url", "")).startswith(("https://", "http://"))
    ]
    return {
        **_actor_view(actor, settings),
        "place": _place(profile.city, profile.country),
        "languages": ", ".join(LANGUAGE_NAMES.get(c, c) for c in profile.languages),
        "language_codes": list(profile.languages),
        "tags": _tags(uris, profile.skills),
        "links": links,
    }


def project_view(
    actor: Actor, project: Project, settings: Settings, uris: NodeUris
) -> dict[str, Any]:
    """What a project card or page shows."""
    website = project.website if (project.website or "").startswith("http") else None
    return {
        **_actor_view(actor, settings),
        "place": _place(project.city, project.country),
        "tags": _tags(uris, project.sectors),
        "website": website,
        "website_shown": _shown(website or ""),
    }


async def actor_page(
    request: Request, session: AsyncSession, actor: Actor, headers: dict[str, str]
) -> Response:
    """The HTML page at a live local actor's id."""
    if actor.kind == ActorKind.MEMBER.value:
        return await _member_page(request, session, actor, headers)
    if actor.kind == ActorKind.PROJECT.value:
        return await _project_page(request, session, actor, headers)
    return _about_page(request, actor, headers)


async def _member_page(
    request: Request, session: AsyncSession, actor: Actor, headers: dict[str, str]
) -> Response:
    settings: Settings = request.app.state.settings
    profile = await session.get(MemberProfile, actor.id)
    if profile is None:
        return error_page(request, 404, N_("This member has no profile."), headers)
    view = member_view(actor, profile, settings, request.app.state.uris)
    view["projects"] = [
        {"name": p.name, "url": p.uri, "role": m.role, "role_name": ROLE_NAMES.get(m.role, m.role)}
        for m, p in await member_projects(session, actor.id)
    ]
    button = await follow_button(request, actor)
    return button.finish(render(
        request,
        "member.html",
        headers={**headers, **button.headers},
        m=view,
        actor_uri=actor.uri,
        noindex=not actor.indexable,
        own=page_viewer(request).username == actor.username,
        follow=button.context["follow"],
    ))  # fmt: skip


async def _project_page(
    request: Request, session: AsyncSession, actor: Actor, headers: dict[str, str]
) -> Response:
    settings: Settings = request.app.state.settings
    project = await session.get(Project, actor.id)
    if project is None:
        return error_page(request, 404, N_("This project has no details."), headers)
    view = project_view(actor, project, settings, request.app.state.uris)
    rows = await team(session, actor, limit=TEAM_LIMIT)
    view["team"] = [
        {"name": a.name, "handle": handle_of(a, settings.domain), "url": a.uri, "role": m.role}
        for m, a in reversed(rows)
    ]
    lists = await listing_views.project_lists(request, session, actor)
    actions = await project_actions(request, actor)
    button = await follow_button(request, actor)
    return button.finish(actions.finish(render(
        request, "project.html", headers={**headers, **actions.headers, **button.headers},
        p=view, actor_uri=actor.uri, noindex=False, **lists, **actions.context,
        follow=button.context["follow"],
    )))  # fmt: skip


def _about_page(request: Request, node_actor: Actor, headers: dict[str, str]) -> Response:
    settings: Settings = request.app.state.settings
    about = {
        "handle": handle_of(node_actor, settings.domain),
        "actor_uri": node_actor.uri,
        "contact_email": settings.contact_email,
        "version": __version__,
    }
    return render(request, "about.html", headers=headers, about=about, actor_uri=node_actor.uri)


@router.get("/")
async def home(request: Request, session: SessionDep) -> Response:
    """Node name and description, its projects, its listed members."""
    settings: Settings = request.app.state.settings
    uris: NodeUris = request.app.state.uris
    viewer = await viewer_of(request, session, settings)  # first: its own commit
    notices = await notice_views.home_notices(request, session, settings, viewer)
    following = await listing_views.home_following(
        request, session, viewer.actor if viewer else None
    )
    projects = await discoverable_projects(session, limit=HOME_LIMIT)
    members = await list_members(session, limit=HOME_LIMIT, discoverable_only=True)
    return render(
        request,
        "home.html",
        headers=notices.pop("headers", None),
        **notices,
        projects=[project_view(a, p, settings, uris) for a, p in projects],
        members=[member_view(a, p, settings, uris) for a, p in members],
        **following,
        **await listing_views.home_lists(request, session),
    )


@router.get("/members")
async def members_directory(
    request: Request,
    session: SessionDep,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Discoverable members only; members who did not opt in are never listed."""
    settings: Settings = request.app.state.settings
    rows = await list_members(
        session, limit=DIRECTORY_LIMIT, after_id=after, discoverable_only=True
    )
    next_url = f"/members?after={rows[-1][0].id}" if len(rows) == DIRECTORY_LIMIT else None
    return render(
        request,
        "members.html",
        members=[member_view(a, p, settings, request.app.state.uris) for a, p in rows],
        next_url=next_url,
        after=after,
    )


@router.get("/projects")
async def projects_directory(
    request: Request,
    session: SessionDep,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Live projects of this node."""
    settings: Settings = request.app.state.settings
    rows = await discoverable_projects(session, limit=DIRECTORY_LIMIT, after_id=after)
    next_url = f"/projects?after={rows[-1][0].id}" if len(rows) == DIRECTORY_LIMIT else None
    return render(
        request,
        "projects.html",
        projects=[project_view(a, p, settings, request.app.state.uris) for a, p in rows],
        next_url=next_url,
        after=after,
    )


@router.get("/about")
async def about(request: Request, session: SessionDep) -> Response:
    """About the node; the node actor's `url`."""
    node_actor = await get_node_actor(session)
    if node_actor is None:
        return error_page(request, 404, N_("This node has no node actor yet."))
    return _about_page(request, node_actor, {})


@router.get("/tags/{name}")
async def tag_page(request: Request, session: SessionDep, name: str) -> Response:
    """Listed members and projects with this skill or sector hashtag."""
    if not _TAG_NAME.match(name):
        return error_page(request, 404, N_("There is no such tag."))
    settings: Settings = request.app.state.settings
    uris: NodeUris = request.app.state.uris
    members = await tagged_members(session, name, limit=DIRECTORY_LIMIT)
    projects = await tagged_projects(session, name, limit=DIRECTORY_LIMIT)
    return render(
        request,
        "tag.html",
        tag=name,
        members=[member_view(a, p, settings, uris) for a, p in members],
        projects=[project_view(a, p, settings, uris) for a, p in projects],
        **await listing_views.tag_lists(request, session, name),
    )
