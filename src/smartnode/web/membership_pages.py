"""A signed-in member and the teams of projects: asking to join a project and leaving it (from
its page), and answering their own invitations (/team-invitations), through the team use cases
as the native API calls them (a Join, Leave, Accept or Reject goes to another node's project)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from smartnode.actors.handles import handle_of
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep
from smartnode.content import team_cases as teams
from smartnode.errors import Conflict, Forbidden, Gone, NotFound
from smartnode.federation.fetch import FetchError
from smartnode.web.account_pages import render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.pages import ROLE_NAMES
from smartnode.web.project_common import now, refused, resolver_of
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=64)]
Decision = Annotated[str, Form(pattern=r"^(accept|reject)$")]
NO_PROJECT = N_("There is no such project on this node.")
ALREADY = N_("You are in this team or asked to join it already.")
NOT_IN = N_("You are not in this project's team.")
NO_INVITATION = N_("This invitation is no longer waiting for your answer.")
UNREACHABLE = N_("The project's server did not answer; try again later.")
DONE = {
    "accepted": N_("You accepted the invitation: you are in the team now."),
    "refused": N_("You refused the invitation."),
}


@router.post("/projects/{slug}/join")
async def join(
    request: Request, session: SessionDep, settings: SettingsDep, slug: Slug
) -> Response:
    """Ask to join the project's team; its coordinators answer."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    path = f"/projects/{slug}"
    if viewer is None:
        return to_signin(path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            await teams.join_project(
                session,
                request.app.state.uris,
                viewer.principal,
                request.app.state.uris.project(slug),
                resolver_of(request, session),
                now(),
            )
    except Conflict:
        return refused(request, frame, "team_invitations.html", 409, ALREADY, back=path)
    except (NotFound, Gone):
        return refused(request, frame, "team_invitations.html", 404, NO_PROJECT)
    except FetchError:
        return refused(request, frame, "team_invitations.html", 502, UNREACHABLE, back=path)
    return see_other(f"{path}?done=asked#membership")


@router.post("/projects/{slug}/leave")
async def leave(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    documents: DocumentsDep,
    slug: Slug,
) -> Response:
    """Leave the project's team."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    path = f"/projects/{slug}"
    if viewer is None:
        return to_signin(path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            await teams.leave_project(
                session,
                request.app.state.uris,
                viewer.principal,
                request.app.state.uris.project(slug),
                resolver_of(request, session),
                now(),
            )
    except NotFound:
        return refused(request, frame, "team_invitations.html", 404, NOT_IN, back=path)
    except FetchError:
        return refused(request, frame, "team_invitations.html", 502, UNREACHABLE, back=path)
    documents.clear()
    return see_other(f"{path}?done=left#membership")


@router.get("/team-invitations")
async def invitations(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The signed-in member's invitations to teams, waiting for their answer."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    async with session.begin():
        views = await teams.my_invitations(session, viewer.principal)
        items = [
            {
                "id": v.row.id,
                "project": v.project.name or v.project.username,
                "url": v.project.uri,
                "handle": handle_of(v.project, settings.domain),
                "role_name": ROLE_NAMES.get(v.row.role, v.row.role),
            }
            for v in views
        ]
    done = DONE.get(request.query_params.get("done", ""))
    return render_framed(request, "team_invitations.html", frame, items=items, done=done)


@router.post("/team-invitations/{request_id}")
async def answer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    documents: DocumentsDep,
    request_id: Annotated[int, Path(ge=1)],
    decision: Decision,
) -> Response:
    """Accept or refuse one of the member's invitations."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin("/team-invitations")
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            await teams.answer_my_invitation(
                session,
                request.app.state.uris,
                viewer.principal,
                request_id,
                decision == "accept",
                now(),
            )
    except (NotFound, Conflict, Forbidden):
        return refused(request, frame, "team_invitations.html", 404, NO_INVITATION)
    documents.clear()
    return see_other(f"/team-invitations?done={'accepted' if decision == 'accept' else 'refused'}")
