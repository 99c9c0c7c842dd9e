"""Publishing a project's open call in the browser, through the call use case (which decides
who may, and federates it as the native API does: Create to the project's followers, the
node's Announce to the peer nodes); the form is shared with editing (web/call_edit_pages.py).

Occupation and skills come from ESCO without JavaScript: a text field and a "Find" button
send the form back, which returns with the matching entries (in the page's language) to choose.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors import project_cases as projects
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep
from smartnode.content import call_cases as calls
from smartnode.content.calls_inputs import CallInput
from smartnode.errors import Forbidden, Gone, NotFound, ValidationFailed
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.call_form_input import (
    call_data,
    currency_of,
    errors_for,
    esco_choices,
    read_form,
    unit_choices,
)
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, using
from smartnode.web.project_common import (
    country_choices,
    language_choices,
    now,
    refused,
    refused_fields,
)
from smartnode.web.viewer import Viewer, viewer_of

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=64)]
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]
NOT_YOURS = N_("Only the project's coordinators may publish and change its calls.")
NO_CALL = N_("There is no such call on this node.")
NO_PROJECT = N_("There is no such project on this node.")


async def form_page(
    request: Request,
    session: AsyncSession,
    frame: Frame,
    given: dict[str, Any],
    target: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The call form (new or edit), with the ESCO entries found."""
    with using(frame.language):
        async with session.begin():
            found = await esco_choices(session, given, frame.language)
        context = {
            "languages": language_choices(),
            "countries": country_choices(),
            **unit_choices(),
        }
    return render_framed(
        request,
        "call_form.html",
        frame,
        status_code=status,
        f=given,
        errors=errors or {},
        **target,
        **found,
        **context,
    )


async def signed_in(request: Request, session: AsyncSession) -> Viewer | None:
    return await viewer_of(request, session, request.app.state.settings)


@router.get("/projects/{slug}/calls/new")
async def new_call(request: Request, session: SessionDep, slug: Slug) -> Response:
    """The form to publish a call as the project, for its coordinators."""
    viewer = await signed_in(request, session)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            actor, project, _team = await projects.project_detail(session, slug, team_limit=1)
            allowed = await projects.may_manage(session, viewer.principal, actor)
            target = {
                "action": f"/projects/{slug}/calls/new",
                "project": actor.name,
                "back": f"/projects/{slug}",
            }
            given = {
                "language": actor.language,
                "country": project.country,
                "city": project.city,
                "skills": [],
                "languages": [],
                "positions": "1",
                "pay_currency": currency_of(project.country),
                "effort_unit": "day",
                "visibility": "public",
            }
    except (NotFound, Gone):
        return refused(request, frame, "call_form.html", 404, NO_PROJECT)
    if not allowed:
        return refused(request, frame, "call_form.html", 403, NOT_YOURS)
    return await form_page(request, session, frame, given, target)


@router.post("/projects/{slug}/calls/new")
async def publish(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    documents: DocumentsDep,
    slug: Slug,
) -> Response:
    """Publish the call (or, for "Find", show the form again with the ESCO entries found)."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await signed_in(request, session)
    if viewer is None:
        return to_signin(f"/projects/{slug}/calls/new")
    frame, given = frame_of(request, viewer), read_form(form)
    target = {"action": f"/projects/{slug}/calls/new", "back": f"/projects/{slug}"}
    if form.get("find"):
        return await form_page(request, session, frame, given, target)
    try:
        data = CallInput.model_validate(
            {**call_data(given), "visibility": given["visibility"] or "public"}
        )
        async with session.begin():
            view = await calls.publish_call(
                session, request.app.state.uris, viewer.principal, slug, data, now()
            )
            path = urlsplit(view.obj.uri).path
    except (ValidationError, ValidationFailed) as error:
        errors = errors_for(refused_fields(error))
        return await form_page(request, session, frame, given, target, status=422, errors=errors)
    except Forbidden:
        return refused(request, frame, "call_form.html", 403, NOT_YOURS)
    except (NotFound, Gone):
        return refused(request, frame, "call_form.html", 404, NO_PROJECT)
    documents.clear()
    return see_other(path)
