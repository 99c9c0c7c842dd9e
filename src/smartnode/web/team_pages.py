"""A project's team in the browser, for its coordinators (/projects/{slug}/team): the team with
each one's role (change it, remove them), join requests to accept or refuse, invitations still
unanswered, and inviting anyone on any node by handle (resolved as the native API resolves it).
The team use cases decide who may; every change goes out as Invite, Accept/Reject, Add, Remove."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors import project_cases as projects
from smartnode.actors.handles import handle_of
from smartnode.actors.projects import Role
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep
from smartnode.content import team_cases as teams
from smartnode.errors import Conflict, Forbidden, Gone, NotFound
from smartnode.federation.fetch import FetchError
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.pages import ROLE_NAMES
from smartnode.web.project_common import now, refused, resolver_of
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=64)]
RoleField = Annotated[str, Form(pattern=r"^(coordinator|member|guest)$")]
Ref = Annotated[str, Form(min_length=1, max_length=2048)]
DONE = {
    "invited": N_("The invitation was sent."),
    "accepted": N_("The request was accepted: they are in the team now."),
    "refused": N_("The request was refused and they were told."),
    "role": N_("The role was changed."),
    "removed": N_("They are no longer in the team."),
}
NOT_YOURS = N_("Only the project's coordinators manage its team.")
NO_PROJECT = N_("There is no such project on this node.")
LAST = N_("A project keeps at least one coordinator: make someone else coordinator first.")
NOBODY = N_("Nobody was found with that address. Check it, like @name@example.org.")
UNREACHABLE = N_("Their server did not answer; try again later.")


@dataclass(frozen=True, slots=True)
class Acting:
    """The signed-in coordinator, read before any transaction (a rollback expires rows)."""

    principal: Principal
    actor_id: int
    frame: Frame


def _person(person: Any, domain: str) -> dict[str, str]:
    return {
        "name": person.name or person.username,
        "handle": handle_of(person, domain),
        "url": person.uri,
    }


async def _view(session: AsyncSession, viewer: Acting, slug: str, domain: str) -> dict[str, Any]:
    """The team, the open requests and invitations (Forbidden for anyone but a coordinator)."""
    waiting = await teams.pending_requests(session, viewer.principal, slug)
    actor, _project, rows = await projects.project_detail(session, slug)
    members = [
        {**_person(person, domain), "role": row.role, "me": person.id == viewer.actor_id}
        for row, person in reversed(rows)
    ]
    joins = [{"id": v.row.id, **_person(v.person, domain)} for v in waiting if v.row.kind == "join"]
    invited = [
        {**_person(v.person, domain), "role_name": ROLE_NAMES.get(v.row.role, v.row.role)}
        for v in waiting
        if v.row.kind == "invite"
    ]
    return {
        "project": {"name": actor.name, "url": actor.uri, "slug": slug},
        "members": members,
        "joins": joins,
        "invited": invited,
    }


async def _page(
    request: Request,
    session: AsyncSession,
    viewer: Acting,
    slug: str,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    frame = viewer.frame
    try:
        async with session.begin():
            view = await _view(session, viewer, slug, request.app.state.settings.domain)
    except Forbidden:
        return refused(request, frame, "team.html", 403, NOT_YOURS)
    except (NotFound, Gone):
        return refused(request, frame, "team.html", 404, NO_PROJECT)
    roles = [(role.value, ROLE_NAMES[role.value]) for role in Role]
    done = DONE.get(request.query_params.get("done", ""))
    return render_framed(
        request, "team.html", frame, status_code=status, roles=roles, done=done, **view, **context
    )


@router.get("/projects/{slug}/team")
async def team_page(
    request: Request, session: SessionDep, settings: SettingsDep, slug: Slug
) -> Response:
    """The team of a project, to its coordinators."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    acting = Acting(viewer.principal, viewer.actor.id, frame_of(request, viewer))
    return await _page(request, session, acting, slug)


async def _acting(request: Request, session: AsyncSession, slug: str) -> Acting | Response:
    settings = request.app.state.settings
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(f"/projects/{slug}/team")
    return Acting(viewer.principal, viewer.actor.id, frame_of(request, viewer))


async def _changed(
    request: Request, session: AsyncSession, viewer: Acting, slug: str, error: Exception
) -> Response:
    """The team page again, saying why the change was refused."""
    if isinstance(error, Forbidden):
        return refused(request, viewer.frame, "team.html", 403, NOT_YOURS)
    if isinstance(error, Conflict):
        return await _page(request, session, viewer, slug, status=409, problem=LAST)
    return await _page(request, session, viewer, slug, status=404, problem=NOBODY)


def _full(handle: str, domain: str) -> str:
    """A handle as typed; a bare username is someone of this node (`bo` → `bo@domain`)."""
    ref = handle.strip()
    if "://" in ref or "@" in ref.lstrip("@"):
        return ref
    return f"{ref.lstrip('@')}@{domain}"


@router.post("/projects/{slug}/team/invite")
async def invite(
    request: Request,
    session: SessionDep,
    documents: DocumentsDep,
    slug: Slug,
    handle: Annotated[str, Form(max_length=2048)] = "",
    role: RoleField = "member",
) -> Response:
    """Invite someone of any node by handle (or address of their profile)."""
    viewer = await _acting(request, session, slug)
    if isinstance(viewer, Response):
        return viewer
    if not handle.strip():
        return await _page(
            request, session, viewer, slug, status=422, invite_error=NOBODY, handle=handle
        )
    try:
        async with session.begin():
            await teams.invite_person(
                session,
                request.app.state.uris,
                viewer.principal,
                slug,
                _full(handle, request.app.state.settings.domain),
                Role(role),
                resolver_of(request, session),
                now(),
            )
    except Forbidden as error:
        return await _changed(request, session, viewer, slug, error)
    except (NotFound, Gone):
        return await _page(
            request, session, viewer, slug, status=422, invite_error=NOBODY, handle=handle
        )
    except Conflict:
        return await _page(
            request,
            session,
            viewer,
            slug,
            status=409,
            handle=handle,
            invite_error=N_("They are in the team or invited already."),
        )
    except FetchError:
        return await _page(
            request, session, viewer, slug, status=502, invite_error=UNREACHABLE, handle=handle
        )
    documents.clear()
    return see_other(f"/projects/{slug}/team?done=invited")


@router.post("/projects/{slug}/team/requests/{request_id}")
async def decide(
    request: Request,
    session: SessionDep,
    documents: DocumentsDep,
    slug: Slug,
    request_id: Annotated[int, Path(ge=1)],
    decision: Annotated[str, Form(pattern=r"^(accept|reject)$")],
) -> Response:
    """Accept or refuse a request to join."""
    viewer = await _acting(request, session, slug)
    if isinstance(viewer, Response):
        return viewer
    try:
        async with session.begin():
            await teams.decide_join(
                session,
                request.app.state.uris,
                viewer.principal,
                slug,
                request_id,
                decision == "accept",
                now(),
            )
    except (Forbidden, NotFound, Conflict) as error:
        return await _changed(request, session, viewer, slug, error)
    documents.clear()
    return see_other(
        f"/projects/{slug}/team?done={'accepted' if decision == 'accept' else 'refused'}"
    )


@router.post("/projects/{slug}/team/role")
async def change_role(
    request: Request,
    session: SessionDep,
    documents: DocumentsDep,
    slug: Slug,
    actor: Ref,
    role: RoleField,
) -> Response:
    """Change a team member's role (the Add goes out again with it)."""
    viewer = await _acting(request, session, slug)
    if isinstance(viewer, Response):
        return viewer
    try:
        async with session.begin():
            await teams.change_role_of(
                session,
                request.app.state.uris,
                viewer.principal,
                slug,
                actor,
                Role(role),
                resolver_of(request, session),
                now(),
            )
    except (Forbidden, NotFound, Conflict, FetchError) as error:
        return await _changed(request, session, viewer, slug, error)
    documents.clear()
    return see_other(f"/projects/{slug}/team?done=role")


@router.post("/projects/{slug}/team/remove")
async def remove(
    request: Request, session: SessionDep, documents: DocumentsDep, slug: Slug, actor: Ref
) -> Response:
    """Take someone out of the team (the Remove goes out)."""
    viewer = await _acting(request, session, slug)
    if isinstance(viewer, Response):
        return viewer
    try:
        async with session.begin():
            await teams.remove_by_ref(
                session,
                request.app.state.uris,
                viewer.principal,
                slug,
                actor,
                resolver_of(request, session),
                now(),
            )
    except (Forbidden, NotFound, Conflict, FetchError) as error:
        return await _changed(request, session, viewer, slug, error)
    documents.clear()
    return see_other(f"/projects/{slug}/team?done=removed")
