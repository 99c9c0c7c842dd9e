"""/api/smart/v1/members: list, read, create, change and delete members."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response

from smartnode.actors import member_cases as members
from smartnode.actors.inputs import MemberInput, MemberUpdate
from smartnode.actors.member_cases import sees_email
from smartnode.actors.members import get_member
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MaybePrincipalDep, PrincipalDep
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

PATH = "/members"
router = APIRouter(prefix=PATH, tags=["members"], route_class=ChallengeRoute)

Username = Annotated[str, Path(max_length=64, description="The member's username.")]
ANONYMOUS = {"email"}


def _location(settings: SettingsDep, username: str) -> dict[str, str]:
    return {"Location": f"{settings.base_url}/api/smart/v1{PATH}/{username}"}


@router.get(
    "",
    response_model=MemberPage,
    summary="List members",
    description="Oldest first. Everyone sees the members who opted in to be listed "
    "(`discoverable`); admin callers see everyone, with e-mail addresses.",
    responses=errors(401),
)
async def list_member_page(
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    principal: MaybePrincipalDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    rows = await members.member_page(
        session, principal, limit=limit + 1, after_id=parse_cursor(after)
    )
    shown = rows[:limit]
    last_id = shown[-1][0].id if len(rows) > limit else None
    page = MemberPage(
        items=[member_out(actor, profile, uris) for actor, profile in shown],
        next=next_url(settings.base_url, f"/api/smart/v1{PATH}", limit=limit, last_id=last_id),
    )
    hidden = {i for i, (actor, _) in enumerate(shown) if not sees_email(principal, actor)}
    return json_response(page, exclude={"items": {i: ANONYMOUS for i in hidden}})


@router.get(
    "/{username}",
    response_model=MemberOut,
    summary="Read a member's profile",
    description="Public; `email` only for admin callers and the member themself.",
    responses=errors(401, 404, 410),
)
async def read_member(
    username: Username, session: SessionDep, uris: UrisDep, principal: MaybePrincipalDep
) -> Response:
    actor, profile = await get_member(session, username)
    hidden = None if sees_email(principal, actor) else ANONYMOUS
    return json_response(member_out(actor, profile, uris), exclude=hidden)


@router.post(
    "",
    status_code=201,
    response_model=MemberOut,
    summary="Create a member (admin)",
    description="Creates the member's actor with fresh keys; `Location` names the new member.",
    responses=errors(401, 403, 409, 422),
)
async def add_member(
    data: MemberInput,
    principal: MaybePrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        actor, profile = await members.add_member(
            session, settings, principal, data, datetime.now(UTC)
        )
        out = member_out(actor, profile, uris)
    documents.clear()
    return json_response(out, status_code=201, headers=_location(settings, actor.username))


@router.patch(
    "/{username}",
    response_model=MemberOut,
    summary="Change a member's profile (the member or an admin)",
    description="Only the fields given are changed: name, bio, languages, skills, links, "
    "place, images and the consents (`discoverable`, `indexable`, `hide_network`, "
    "`manually_approves_followers`). By the member themself (a member token, or an app "
    "granted `write:accounts`) or an admin. Followers get Update{Person}.",
    responses=errors(401, 403, 404, 410, 422),
)
async def change_member(
    username: Username,
    change: MemberUpdate,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        actor, profile = await members.change_profile(
            session, uris, principal, username, change, datetime.now(UTC)
        )
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
    responses=errors(401, 403, 404, 409, 410),
)
async def remove_member(
    username: Username,
    principal: MaybePrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await members.remove_member(session, uris, principal, username, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)
