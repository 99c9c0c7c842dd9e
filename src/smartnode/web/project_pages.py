"""Creating and editing a project in the browser: /new/project for a signed-in member (who then
coordinates it) and /projects/{slug}/edit for its coordinators, through the project use cases
(which decide who may; each edit goes out as Update{Group} as the native API sends it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors import project_cases as cases
from smartnode.actors.inputs import ProjectInput, ProjectUpdate
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep
from smartnode.config import UI_LANGUAGES
from smartnode.content.applications_to_ap import text_html
from smartnode.errors import Conflict, Forbidden, Gone, NotFound, ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import Project
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, using
from smartnode.web.project_common import (
    country_choices,
    error_fields,
    html_text,
    language_choices,
    now,
    refused,
)
from smartnode.web.viewer import Viewer, viewer_of

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=64)]
FIELDS = (
    "name",
    "slug",
    "language",
    "summary",
    "summary_map",
    "country",
    "city",
    "sectors",
    "website",
)
WORDS = {
    "name": N_("Give the project a name of at most 100 characters."),
    "slug": N_("Choose another address: lower-case letters, digits and hyphens, not taken yet."),
    "language": N_("Choose a language from the list."),
    "summary": N_("Write at most 5,000 characters about the project."),
    "summary_map": N_("Write at most 5,000 characters in each language."),
    "country": N_("Choose a country from the list."),
    "city": N_("Give a city name of at most 100 characters."),
    "sectors": N_("Give at most ten sectors, separated by commas, each at most 60 characters."),
    "website": N_("Give a full web address that starts with https://."),
}
NOT_YOURS = N_("Only the project's coordinators may change it.")
NO_PROJECT = N_("There is no such project on this node.")


def _read(form: Any) -> dict[str, Any]:
    """The form's fields as the page keeps them (the user's input, as typed)."""
    given: dict[str, Any] = {
        name: str(form.get(name, "")).strip() for name in FIELDS if name != "summary_map"
    }
    given["translations"] = {
        code: str(form.get(f"summary_{code}", "")).strip() for code in UI_LANGUAGES
    }
    return given


def _data(given: dict[str, Any]) -> dict[str, Any]:
    """The use case's input from the form's fields."""
    language = given["language"] or "en"
    translations = {
        code: text_html(text)
        for code, text in given["translations"].items()
        if text and code != language
    }
    sectors = [s.strip() for s in given["sectors"].split(",") if s.strip()]
    return {
        "name": given["name"],
        "language": language,
        "summary": text_html(given["summary"]),
        "summary_map": translations,
        "country": given["country"],
        "city": given["city"],
        "sectors": sectors,
        "website": given["website"] or None,
    }


def _given_of(actor: Actor, project: Project) -> dict[str, Any]:
    """An existing project's fields as the form shows them."""
    return {
        "name": actor.name,
        "slug": actor.username,
        "language": actor.language,
        "summary": html_text(actor.summary),
        "country": project.country,
        "city": project.city,
        "sectors": ", ".join(project.sectors),
        "website": project.website or "",
        "translations": {
            code: html_text(text)
            for code, text in actor.summary_map.items()
            if code != actor.language
        },
    }


def _form(
    request: Request,
    frame: Frame,
    given: dict[str, Any],
    *,
    slug: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with using(frame.language):
        languages, countries = language_choices(), country_choices()
    return render_framed(
        request,
        "project_form.html",
        frame,
        status_code=status,
        f=given,
        slug=slug,
        errors=errors or {},
        languages=languages,
        countries=countries,
    )


def _errors(fields: set[str]) -> dict[str, str]:
    found = {name: WORDS[name] for name in FIELDS if name in fields}
    return found or {"name": WORDS["name"]}


async def _signed_in(request: Request, session: AsyncSession) -> Viewer | None:
    return await viewer_of(request, session, request.app.state.settings)


@router.get("/new/project")
async def new_project(request: Request, session: SessionDep) -> Response:
    """The form to start a project (the member who starts it coordinates it)."""
    viewer = await _signed_in(request, session)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    return _form(request, frame, {"language": frame.language, "translations": {}})


@router.post("/new/project")
async def add_project(
    request: Request, session: SessionDep, settings: SettingsDep, documents: DocumentsDep
) -> Response:
    """Start a project; its page next."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await _signed_in(request, session)
    if viewer is None:
        return to_signin("/new/project")
    frame, given = frame_of(request, viewer), _read(form)
    try:
        data = ProjectInput.model_validate({**_data(given), "slug": given["slug"] or None})
        async with session.begin():
            actor, _project, _team = await cases.add_project(
                session, settings, viewer.principal, data, now()
            )
            path = actor.uri.removeprefix(settings.base_url)
    except ValidationError as error:
        return _form(request, frame, given, errors=_errors(error_fields(error)), status=422)
    except (Conflict, ValidationFailed):
        return _form(request, frame, given, errors={"slug": WORDS["slug"]}, status=422)
    documents.clear()
    return see_other(f"{path}?done=created")


@router.get("/projects/{slug}/edit")
async def edit_project(request: Request, session: SessionDep, slug: Slug) -> Response:
    """The form to change a project, for its coordinators."""
    viewer = await _signed_in(request, session)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            actor, project, _team = await cases.project_detail(session, slug, team_limit=1)
            allowed = await cases.may_manage(session, viewer.principal, actor)
            given = _given_of(actor, project)
    except (NotFound, Gone):
        return refused(request, frame, "project_form.html", 404, NO_PROJECT)
    if not allowed:
        return refused(request, frame, "project_form.html", 403, NOT_YOURS)
    return _form(request, frame, given, slug=slug)


@router.post("/projects/{slug}/edit")
async def change_project(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    documents: DocumentsDep,
    slug: Slug,
) -> Response:
    """Save a project's changes (Update{Group} to its followers); its page next."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await _signed_in(request, session)
    if viewer is None:
        return to_signin(f"/projects/{slug}/edit")
    frame, given = frame_of(request, viewer), _read(form)
    given["slug"] = slug
    try:
        change = ProjectUpdate.model_validate(_data(given))
        async with session.begin():
            actor, _project, _team = await cases.change_project(
                session, request.app.state.uris, viewer.principal, slug, change, now()
            )
            path = actor.uri.removeprefix(settings.base_url)
    except ValidationError as error:
        return _form(
            request, frame, given, slug=slug, errors=_errors(error_fields(error)), status=422
        )
    except Forbidden:
        return refused(request, frame, "project_form.html", 403, NOT_YOURS)
    except (NotFound, Gone):
        return refused(request, frame, "project_form.html", 404, NO_PROJECT)
    documents.clear()
    return see_other(f"{path}?done=saved")
