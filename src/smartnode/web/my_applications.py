"""A member's own applications (/applications: each call, its project and where it stands) and
the applications to other nodes' projects forwarded to them as a coordinator, with their
decision (sent to the project, which applies it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.content import application_cases as cases
from smartnode.content.application_cases import ApplicationView
from smartnode.content.call_terms import call_terms
from smartnode.errors import Conflict, NotFound, ValidationFailed
from smartnode.web.account_pages import render_framed, see_other
from smartnode.web.application_pages import STATE_NAMES
from smartnode.web.apply_pages import frame_of, inbox_context, to_signin
from smartnode.web.formats import format_date
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, using
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
LIMIT = 100


def _entry(view: ApplicationView, domain: str) -> dict[str, Any]:
    return {
        "uri": view.app.uri,
        "title": call_terms(view.call).title or view.call.uri,
        "call_url": view.call.uri,
        "project": view.project.name,
        "project_url": view.project.uri,
        "applicant": view.applicant.name or handle_of(view.applicant, domain),
        "applicant_url": view.applicant.url or view.applicant.uri,
        "motivation": Markup(view.app.motivation),  # noqa: S704 - sanitised when stored
        "state": view.app.state,
        "state_name": STATE_NAMES.get(view.app.state, view.app.state),
        "applied": format_date(view.app.created_at),
        "open": view.app.state in ("pending", "shortlisted"),
    }


@router.get("/applications")
async def my_applications(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The member's applications and those forwarded to them to decide."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    async with session.begin():
        mine = await cases.my_applications(session, viewer.principal, "applicant", limit=LIMIT,
                                           before_id=None)  # fmt: skip
        forwarded = await cases.my_applications(session, viewer.principal, "coordinator",
                                                limit=LIMIT, before_id=None)  # fmt: skip
        with using(frame.language):
            entries = [_entry(view, settings.domain) for view in mine]
            to_decide = [_entry(view, settings.domain) for view in forwarded]
    done = request.query_params.get("done") == "1"
    return render_framed(request, "my_applications.html", frame, entries=entries,
                         to_decide=to_decide, done=done)  # fmt: skip


@router.post("/applications/forwarded")
async def decide_forwarded(
    request: Request, session: SessionDep, settings: SettingsDep,
    offer: Annotated[str, Form(max_length=2000)] = "",
    decision: Annotated[str, Form(pattern=r"^(shortlist|accept|reject)$")] = "reject",
) -> Response:  # fmt: skip
    """Decide on an application to another node's project (sent to the project, signed)."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin("/applications")
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            ctx = inbox_context(request, session, datetime.now(UTC))
            await cases.decide_remotely(ctx, viewer.principal, offer, decision, None)
    except (NotFound, ValidationFailed, Conflict):
        return render_framed(request, "my_applications.html", frame, status_code=409,
                             refused=N_("This application can no longer be decided here."),
                             entries=[], to_decide=[])  # fmt: skip
    return see_other("/applications?done=1")
