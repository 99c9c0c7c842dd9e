"""/api/v1/applications: members apply to open calls of any node, follow and withdraw their
applications; a project's coordinators list and decide; a coordinator of another node's
project decides with /api/v1/remote-decisions. Nothing here is public: every route needs a
member token and shows an application only to its applicant or the project's coordinators.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import httpx
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import get_project
from smartnode.actors.resolve import FetchingResolver
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.applications_schemas import (
    ApplicationInput,
    ApplicationOut,
    ApplicationPage,
    DecisionInput,
    RemoteDecisionInput,
    RemoteDecisionOut,
    application_out,
    errors,
)
from smartnode.api.v1.auth import ChallengeRoute, MemberDep
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.config import Settings
from smartnode.content.announcements import coordinates
from smartnode.content.application_decisions import decide, remote_decision
from smartnode.content.applications import (
    APPLICATION,
    application_by_id,
    apply_to_call,
    withdraw,
)
from smartnode.content.applications_to_ap import text_html
from smartnode.content.calls import call_by_uri
from smartnode.content.notes_from_ap import BadNote, note_from_ap
from smartnode.content.remote import fetch_object, store_note
from smartnode.content.terms import CALL
from smartnode.errors import Forbidden, NotFound
from smartnode.federation.fetch import FetchBudget, FetchError
from smartnode.federation.uris import NodeUris
from smartnode.inbox.context import InboxContext
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application, Notification

router = APIRouter(tags=["applications"], route_class=ChallengeRoute)
AppId = Annotated[int, Path(ge=1, description="The application's `id`.")]
Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]
FETCHES_PER_CALL = 10


def _context(
    request: Request, session: AsyncSession, settings: Settings, uris: NodeUris, now: datetime
) -> InboxContext:
    """What fetching and storing a remote call needs (the node actor signs the fetches)."""
    signer: httpx.Auth = request.app.state.node_signer
    resolver = FetchingResolver(session, uris, request.app.state.fetcher, now=now,
                                signer=signer, budget=FetchBudget(FETCHES_PER_CALL))  # fmt: skip
    return InboxContext(session=session, settings=settings, uris=uris, now=now, resolver=resolver)


async def _call(ctx: InboxContext, uri: str) -> ContentObject:
    """A call we store, or another node's call fetched from its origin and stored."""
    call = await call_by_uri(ctx.session, uri)
    if call is not None or ctx.uris.is_local(uri):
        if call is None:
            raise NotFound("no such call on this node")
        return call
    document = await fetch_object(ctx, uri)
    try:
        note = note_from_ap(document, ctx.now) if document else None
    except BadNote:
        note = None
    if note is None or note.uri != uri or note.terms.kind != CALL:
        raise NotFound("no call could be had at that address")
    author = await ctx.resolver.actor(note.attributed_to)
    if author is None or author.local or author.ap_type != "Group":
        raise NotFound("the call was not published by a project")
    return await store_note(ctx, note, author)


async def _out(session: AsyncSession, app: Application) -> ApplicationOut:
    call = await session.get(ContentObject, app.call_id)
    project = await session.get(Actor, app.project_id)
    applicant = await session.get(Actor, app.applicant_id)
    if call is None or project is None or applicant is None:
        raise NotFound("the application's call, project or applicant no longer exists")
    return application_out(app, call, project, applicant)


async def _page(
    session: AsyncSession, query: Select[Application], path: str, base: str, limit: int,
    after: str | None,
) -> Response:  # fmt: skip
    before = parse_cursor(after)
    if before is not None:
        query = query.where(Application.id < before)
    rows = (await session.scalars(query.order_by(Application.id.desc()).limit(limit + 1))).all()
    shown = rows[:limit]
    last_id = shown[-1].id if len(rows) > limit else None
    page = ApplicationPage(
        items=[await _out(session, app) for app in shown],
        next=next_url(base, path, limit=limit, last_id=last_id),
    )
    return json_response(page)


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    summary="Apply to an open call (member)",
    description="To a call of this node (stored, the coordinators are notified) or of another "
    "node (sent as Offer{Agreement} to that project only). Never public.",
    responses=errors(401, 404, 409, 502),
)
async def apply(
    data: ApplicationInput,
    member: MemberDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
) -> Response:
    try:
        async with session.begin():
            now = datetime.now(UTC)
            call = await _call(_context(request, session, settings, uris, now), str(data.call))
            app = await apply_to_call(session, uris, member, call, text_html(data.motivation),
                                      [str(link) for link in data.links], now)  # fmt: skip
            out = await _out(session, app)
    except FetchError as error:
        body = {"error": f"the call's server failed: {error.message}", "code": error.code}
        return JSONResponse(body, status_code=502)
    location = {"Location": f"{settings.base_url}/api/v1/applications/{out.id}"}
    return json_response(out, status_code=201, headers=location)


@router.get(
    "/applications",
    response_model=ApplicationPage,
    summary="My applications (member)",
    description="The member's own applications, newest first; with `role=coordinator`, the "
    "applications to other nodes' projects that were forwarded to the member to decide.",
    responses=errors(401),
)
async def mine(
    member: MemberDep,
    session: SessionDep,
    settings: SettingsDep,
    role: Annotated[Literal["applicant", "coordinator"], Query()] = "applicant",
    limit: Limit = 20,
    after: After = None,
) -> Response:
    query = select(Application)
    if role == "coordinator":
        forwarded = select(Notification.object_uri).where(
            Notification.actor_id == member.id, Notification.kind == APPLICATION
        )
        query = query.where(Application.local.is_(False), Application.uri.in_(forwarded))
    else:
        query = query.where(Application.applicant_id == member.id)
    async with session.begin():
        return await _page(session, query, "/api/v1/applications", settings.base_url, limit, after)


@router.get(
    "/projects/{slug}/applications",
    response_model=ApplicationPage,
    summary="Applications to a project's calls (coordinators)",
    description="Newest first. Only the project's coordinators may see them.",
    responses=errors(401, 403, 404),
)
async def of_project(
    slug: Slug,
    member: MemberDep,
    session: SessionDep,
    settings: SettingsDep,
    state: Annotated[str | None, Query(max_length=16)] = None,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    async with session.begin():
        project, _ = await get_project(session, slug)
        if not await coordinates(session, member, project):
            raise Forbidden(f"{member.username!r} does not coordinate {slug!r}")
        query = select(Application).where(
            Application.project_id == project.id, Application.local.is_(True)
        )
        if state:
            query = query.where(Application.state == state)
        path = f"/api/v1/projects/{project.username}/applications"
        return await _page(session, query, path, settings.base_url, limit, after)


async def _visible(session: AsyncSession, member: Actor, app: Application) -> bool:
    if app.applicant_id == member.id:
        return True
    project = await session.get(Actor, app.project_id)
    return app.local and project is not None and await coordinates(session, member, project)


@router.get(
    "/applications/{app_id}",
    response_model=ApplicationOut,
    summary="Read an application (applicant or coordinator)",
    responses=errors(401, 404),
)
async def read(app_id: AppId, member: MemberDep, session: SessionDep) -> Response:
    async with session.begin():
        app = await application_by_id(session, app_id)
        if not await _visible(session, member, app):
            raise NotFound("no such application")
        return json_response(await _out(session, app))


@router.delete(
    "/applications/{app_id}",
    response_model=ApplicationOut,
    summary="Withdraw my application (applicant)",
    description="Sends Undo{Offer} to the project when it is on another node.",
    responses=errors(401, 404, 409),
)
async def take_back(
    app_id: AppId, member: MemberDep, session: SessionDep, uris: UrisDep
) -> Response:
    async with session.begin():
        app = await application_by_id(session, app_id)
        await withdraw(session, uris, member, app, datetime.now(UTC))
        return json_response(await _out(session, app))


async def _decide(
    request: Request, session: AsyncSession, settings: Settings, uris: NodeUris,
    member: Actor, app_id: int, decision: str, role: str | None,
) -> Response:  # fmt: skip
    async with session.begin():
        now = datetime.now(UTC)
        app = await application_by_id(session, app_id)
        project = await session.get(Actor, app.project_id)
        if not app.local or project is None or not await coordinates(session, member, project):
            if not await _visible(session, member, app):
                raise NotFound("no such application")
            raise Forbidden("only the project's coordinators decide")
        ctx = _context(request, session, settings, uris, now)
        await decide(session, uris, ctx.resolver, app, decision, role, now)
        return json_response(await _out(session, app))


@router.post("/applications/{app_id}/shortlist", response_model=ApplicationOut,
             summary="Shortlist (coordinators)", responses=errors(401, 403, 404, 409))  # fmt: skip
async def shortlist(
    app_id: AppId, member: MemberDep, request: Request, session: SessionDep,
    settings: SettingsDep, uris: UrisDep,
) -> Response:  # fmt: skip
    return await _decide(request, session, settings, uris, member, app_id, "shortlist", None)


@router.post("/applications/{app_id}/accept", response_model=ApplicationOut,
             summary="Accept into the team (coordinators)",
             responses=errors(401, 403, 404, 409))  # fmt: skip
async def accept(
    app_id: AppId, member: MemberDep, request: Request, session: SessionDep,
    settings: SettingsDep, uris: UrisDep, data: DecisionInput | None = None,
) -> Response:  # fmt: skip
    role = (data or DecisionInput()).role
    return await _decide(request, session, settings, uris, member, app_id, "accept", role)


@router.post("/applications/{app_id}/reject", response_model=ApplicationOut,
             summary="Reject (coordinators)", responses=errors(401, 403, 404, 409))  # fmt: skip
async def reject(
    app_id: AppId, member: MemberDep, request: Request, session: SessionDep,
    settings: SettingsDep, uris: UrisDep,
) -> Response:  # fmt: skip
    return await _decide(request, session, settings, uris, member, app_id, "reject", None)


@router.post(
    "/remote-decisions",
    status_code=202,
    response_model=RemoteDecisionOut,
    summary="Decide on an application to another node's project (its coordinator)",
    description="Signs Accept/Reject/TentativeAccept{Offer} as the member and sends it to the "
    "project only; the project checks that the member coordinates it.",
    responses=errors(401, 404, 409),
)
async def decide_remotely(
    data: RemoteDecisionInput, member: MemberDep, session: SessionDep, uris: UrisDep
) -> Response:
    async with session.begin():
        sent = await remote_decision(session, uris, member, str(data.offer), data.decision,
                                     data.role, datetime.now(UTC))  # fmt: skip
    return json_response(RemoteDecisionOut(activity=sent), status_code=202)
