"""/api/smart/v1/applications: members apply to open calls of any node, follow and withdraw their
applications; a project's coordinators list and decide; a coordinator of another node's
project decides with /api/smart/v1/remote-decisions. Nothing here is public: every route needs a
member (a member token, an app granted `read:applications` / `write:applications`, or an admin
token with `?as=username`) and shows an application only to its applicant or the project's
coordinators (content/application_cases.py decides).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.api.deps import SessionDep, SettingsDep, UrisDep, request_resolver
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
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.config import Settings
from smartnode.content import application_cases as cases
from smartnode.content.application_cases import ApplicationView
from smartnode.content.applications_to_ap import text_html
from smartnode.federation.fetch import FetchError
from smartnode.federation.uris import NodeUris
from smartnode.inbox.context import InboxContext

router = APIRouter(tags=["applications"], route_class=ChallengeRoute)
AppId = Annotated[int, Path(ge=1, description="The application's `id`.")]
Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]


def _context(
    request: Request, session: AsyncSession, settings: Settings, uris: NodeUris, now: datetime
) -> InboxContext:
    """What fetching and storing a remote call needs (the node actor signs the fetches)."""
    resolver = request_resolver(request, session, now)
    return InboxContext(session=session, settings=settings, uris=uris, now=now, resolver=resolver)


def _out(view: ApplicationView) -> ApplicationOut:
    return application_out(view.app, view.call, view.project, view.applicant)


def _page(views: list[ApplicationView], path: str, base: str, limit: int) -> Response:
    shown = views[:limit]
    last_id = shown[-1].app.id if len(views) > limit else None
    page = ApplicationPage(
        items=[_out(view) for view in shown],
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
    responses=errors(401, 403, 404, 409, 502),
)
async def apply(
    data: ApplicationInput,
    principal: PrincipalDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
) -> Response:
    try:
        async with session.begin():
            ctx = _context(request, session, settings, uris, datetime.now(UTC))
            view = await cases.apply(ctx, principal, str(data.call), text_html(data.motivation),
                                     [str(link) for link in data.links])  # fmt: skip
            out = _out(view)
    except FetchError as error:
        body = {"error": f"the call's server failed: {error.message}", "code": error.code}
        return JSONResponse(body, status_code=502)
    location = {"Location": f"{settings.base_url}/api/smart/v1/applications/{out.id}"}
    return json_response(out, status_code=201, headers=location)


@router.get(
    "/applications",
    response_model=ApplicationPage,
    summary="My applications (member)",
    description="The member's own applications, newest first; with `role=coordinator`, the "
    "applications to other nodes' projects that were forwarded to the member to decide.",
    responses=errors(401, 403),
)
async def mine(
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    role: Annotated[Literal["applicant", "coordinator"], Query()] = "applicant",
    limit: Limit = 20,
    after: After = None,
) -> Response:
    async with session.begin():
        views = await cases.my_applications(
            session, principal, role, limit=limit + 1, before_id=parse_cursor(after)
        )
        return _page(views, "/api/smart/v1/applications", settings.base_url, limit)


@router.get(
    "/projects/{slug}/applications",
    response_model=ApplicationPage,
    summary="Applications to a project's calls (coordinators)",
    description="Newest first. Only the project's coordinators may see them.",
    responses=errors(401, 403, 404),
)
async def of_project(
    slug: Slug,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    state: Annotated[str | None, Query(max_length=16)] = None,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    async with session.begin():
        project, views = await cases.project_applications(
            session, principal, slug, state, limit=limit + 1, before_id=parse_cursor(after)
        )
        path = f"/api/smart/v1/projects/{project.username}/applications"
        return _page(views, path, settings.base_url, limit)


@router.get(
    "/applications/{app_id}",
    response_model=ApplicationOut,
    summary="Read an application (applicant or coordinator)",
    responses=errors(401, 403, 404),
)
async def read(app_id: AppId, principal: PrincipalDep, session: SessionDep) -> Response:
    async with session.begin():
        return json_response(_out(await cases.read_application(session, principal, app_id)))


@router.delete(
    "/applications/{app_id}",
    response_model=ApplicationOut,
    summary="Withdraw my application (applicant)",
    description="Sends Undo{Offer} to the project when it is on another node.",
    responses=errors(401, 403, 404, 409),
)
async def take_back(
    app_id: AppId, principal: PrincipalDep, session: SessionDep, uris: UrisDep
) -> Response:
    async with session.begin():
        moment = datetime.now(UTC)
        view = await cases.withdraw_application(session, uris, principal, app_id, moment)
        return json_response(_out(view))


async def _decide(
    request: Request, session: AsyncSession, settings: Settings, uris: NodeUris,
    principal: PrincipalDep, app_id: int, decision: str, role: str | None,
) -> Response:  # fmt: skip
    async with session.begin():
        ctx = _context(request, session, settings, uris, datetime.now(UTC))
        view = await cases.decide_application(ctx, principal, app_id, decision, role)
        return json_response(_out(view))


@router.post("/applications/{app_id}/shortlist", response_model=ApplicationOut,
             summary="Shortlist (coordinators)", responses=errors(401, 403, 404, 409))  # fmt: skip
async def shortlist(
    app_id: AppId, principal: PrincipalDep, request: Request, session: SessionDep,
    settings: SettingsDep, uris: UrisDep,
) -> Response:  # fmt: skip
    return await _decide(request, session, settings, uris, principal, app_id, "shortlist", None)


@router.post("/applications/{app_id}/accept", response_model=ApplicationOut,
             summary="Accept into the team (coordinators)",
             responses=errors(401, 403, 404, 409))  # fmt: skip
async def accept(
    app_id: AppId, principal: PrincipalDep, request: Request, session: SessionDep,
    settings: SettingsDep, uris: UrisDep, data: DecisionInput | None = None,
) -> Response:  # fmt: skip
    role = (data or DecisionInput()).role
    return await _decide(request, session, settings, uris, principal, app_id, "accept", role)


@router.post("/applications/{app_id}/reject", response_model=ApplicationOut,
             summary="Reject (coordinators)", responses=errors(401, 403, 404, 409))  # fmt: skip
async def reject(
    app_id: AppId, principal: PrincipalDep, request: Request, session: SessionDep,
    settings: SettingsDep, uris: UrisDep,
) -> Response:  # fmt: skip
    return await _decide(request, session, settings, uris, principal, app_id, "reject", None)


@router.post(
    "/remote-decisions",
    status_code=202,
    response_model=RemoteDecisionOut,
    summary="Decide on an application to another node's project (its coordinator)",
    description="Signs Accept/Reject/TentativeAccept{Offer} as the member and sends it to the "
    "project only; the project checks that the member coordinates it.",
    responses=errors(401, 403, 404, 409),
)
async def decide_remotely(
    data: RemoteDecisionInput,
    principal: PrincipalDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
) -> Response:
    async with session.begin():
        ctx = _context(request, session, settings, uris, datetime.now(UTC))
        sent = await cases.decide_remotely(ctx, principal, str(data.offer), data.decision,
                                           data.role)  # fmt: skip
    return json_response(RemoteDecisionOut(activity=sent), status_code=202)
