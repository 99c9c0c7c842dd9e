"""A signed-in member and the teams of projects: asking to join a project and leaving it (from
its page), and answering their own invitations (/team-invitations), through the team use cases
as the native API calls them (a Join, Leave, Accept or Reject goes to another node's project)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

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
Ref = Annotated[str, Form(max_length=2048)]
NOWHERE = N_("No project was found at that address.")
ALREADY = N_("You are in this team or asked to join it already.")
NOT_IN = N_("You are not in this project's team.")
NO_INVITATION = N_("This invitation is no longer waiting for your answer.")
UNREACHABLE = N_("The project's server did not answer; try again later.")
DONE = {
    "asked": N_("You asked to join; the project's coordinators will answer you."),
    "left": N_("You left the team."),
    "accepted": N_("You accepted the invitation: you are in the team now."),
    "refused": N_("You refused the invitation."),
}


async def _move(request: Request, session: AsyncSession, ref: str, *, leaving: bool,
                back: str, done: str) -> Response:  # fmt: skip
    """Ask to join, or leave, the team of the project `ref` (of any node), then go to `done`."""
    settings = request.app.state.settings
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(back)
    frame = frame_of(request, viewer)
    if not ref:
        return refused(request, frame, "team_invitations.html", 422, NOWHERE, back=back)
    case = teams.leave_project if leaving else teams.join_project
    try:
        async with session.begin():
            await case(session, request.app.state.uris, viewer.principal, ref,
                       resolver_of(request, session), now())  # fmt: skip
    except Conflict:
        return refused(request, frame, "team_invitations.html", 409, ALREADY, back=back)
    except (NotFound, Gone):
        words = NOT_IN if leaving else NOWHERE
        return refused(request, frame, "team_invitations.html", 404, words, back=back)
    except FetchError:
        return refused(request, frame, "team_invitations.html", 502, UNREACHABLE, back=back)
    return see_other(done)


@router.post("/projects/{slug}/join")
async def join(request: Request, session: SessionDep, slug: Slug) -> Response:
    """Ask to join one of our projects' team; its coordinators answer."""
    path = f"/projects/{slug}"
    return await _move(request, session, request.app.state.uris.project(slug), leaving=False,
                       back=path, done=f"{path}?done=asked#membership")  # fmt: skip


@router.post("/projects/{slug}/leave")
async def leave(request: Request, session: SessionDep, documents: DocumentsDep,
                slug: Slug) -> Response:  # fmt: skip
    """Leave one of our projects' team."""
    documents.clear()
    path = f"/projects/{slug}"
    return await _move(request, session, request.app.state.uris.project(slug), leaving=True,
                       back=path, done=f"{path}?done=left#membership")  # fmt: skip


@router.post("/team-invitations/join")
async def join_any(request: Request, session: SessionDep, project: Ref = "") -> Response:
    """Ask to join the team of a project on any node, named by handle or address."""
    return await _move(request, session, project.strip(), leaving=False,
                       back="/team-invitations", done="/team-invitations?done=asked")  # fmt: skip


@router.post("/team-invitations/leave")
async def leave_any(request: Request, session: SessionDep, documents: DocumentsDep,
                    project: Ref = "") -> Response:  # fmt: skip
    """Leave the team of a project on any node, named by handle or address."""
    documents.clear()
    return await _move(request, session, project.strip(), leaving=True,
                       back="/team-invitations", done="/team-invitations?done=left")  # fmt: skip


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
