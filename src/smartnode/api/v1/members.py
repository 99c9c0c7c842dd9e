"""/api/v1/members: list, read, create, change and delete members."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response

from smartnode.actors.federate import publish_actor_delete, publish_actor_update
from smartnode.actors.inputs import MemberInput, MemberUpdate
from smartnode.actors.members import (
    create_member,
    delete_actor,
    get_member,
    list_members,
    update_member,
)
from smartnode.actors.projects import coordinated_alone
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import AdminDep, ChallengeRoute, MaybeAdminDep
from smartnode.api.v1.schemas import (
    After,
    Limit,
    MemberOut,
    MemberPage,
    errors,
    json_response,
    member_out,
    next_url,
    parse_cursor,
)
from smartnode.errors import Conflict
from smartnode.federation.uris import ActorKind

PATH = "/members"
router = APIRouter(prefix=PATH, tags=["members"], route_class=ChallengeRoute)

Username = Annotated[str, Path(max_length=64, description="The member's username.")]
ANONYMOUS = {"email"}


def _location(settings: SettingsDep, username: str) -> dict[str, str]:
    return {"Location": f"{settings.base_url}/api/v1{PATH}/{username}"}


@router.get(
    "",
    response_model=MemberPage,
    summary="List members",
    description="Oldest first. Anonymous callers see only members who opted in to be listed "
    "(`discoverable`); admin callers see everyone, with e-mail addresses.",
    responses=errors(401),
)
async def list_member_page(
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    admin: MaybeAdminDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    rows = await list_members(
        session, limit=limit + 1, after_id=parse_cursor(after), discoverable_only=admin is None
    )
    shown = rows[:limit]
    last_id = shown[-1][0].id if len(rows) > limit else None
    page = MemberPage(
        items=[member_out(actor, profile, uris) for actor, profile in shown],
        next=next_url(settings.base_url, f"/api/v1{PATH}", limit=limit, last_id=last_id),
    )
    return json_response(page, exclude=None if admin else {"items": {"__all__": ANONYMOUS}})


@router.get(
    "/{username}",
    response_model=MemberOut,
    summary="Read a member's profile",
    description="Public; `email` only for admin callers.",
    responses=errors(401, 404, 410),
)
async def read_member(
    username: Username, session: SessionDep, uris: UrisDep, admin: MaybeAdminDep
) -> Response:
    actor, profile = await get_member(session, username)
    return json_response(member_out(actor, profile, uris), exclude=None if admin else ANONYMOUS)


@router.post(
    "",
    status_code=201,
    response_model=MemberOut,
    summary="Create a member (admin)",
    description="Creates the member's actor with fresh keys; `Location` names the new member.",
    responses=errors(401, 409, 422),
)
async def add_member(
    data: MemberInput,
    _: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        actor = await create_member(session, settings, data, datetime.now(UTC))
        actor, profile = await get_member(session, actor.username)
        out = member_out(actor, profile, uris)
    documents.clear()
    return json_response(out, status_code=201, headers=_location(settings, actor.username))


@router.patch(
    "/{username}",
    response_model=MemberOut,
    summary="Change a member's profile (admin)",
    description="Only the fields given are changed.",
    responses=errors(401, 404, 410, 422),
)
async def change_member(
    username: Username,
    change: MemberUpdate,
    _: AdminDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        moment = datetime.now(UTC)
        await update_member(session, username, change, moment)
        actor, profile = await get_member(session, username)
        await publish_actor_update(session, uris, actor, moment)
        out = member_out(actor, profile, uris)
    documents.clear()
    return json_response(out)


@router.delete(
    "/{username}",
    status_code=204,
    response_class=Response,
    summary="Delete a member (admin)",
    description="The member answers 410 Gone from then on; the username is never reused. "
    "Refused (409) while they are the only coordinator of a project.",
    responses=errors(401, 404, 409, 410),
)
async def remove_member(
    username: Username, _: AdminDep, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> Response:
    async with session.begin():
        actor, _profile = await get_member(session, username)
        alone = await coordinated_alone(session, actor)
        if alone:
            raise Conflict(
                f"{actor.username!r} is the only coordinator of {', '.join(alone)}: "
                "make someone else coordinator (or delete the project) first"
            )
        moment = datetime.now(UTC)
        await delete_actor(session, ActorKind.MEMBER, username, moment)
        await publish_actor_delete(session, uris, actor, moment)
    documents.clear()
    return Response(status_code=204)
