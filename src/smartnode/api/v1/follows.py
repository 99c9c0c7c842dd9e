"""/api/smart/v1/actors/{username}/…: follows of members and projects, and their follow requests.

`username` is a member's username or a project's slug. A member follows, unfollows and answers
follow requests as themselves or as a project they coordinate (a member token, an app granted
`write:follows`, or an admin token with `?as=`); an admin may do so for any local actor
(actors/follow_cases.py decides). A remote target is resolved through the Fetcher (WebFinger
for handles), signed by the node actor; the Follow, Undo, Accept and Reject go out through the
transactional outbox, in the transaction of the change they announce. Lists show accepted
follows only (as the ActivityPub collections do); pending ones are follow requests, listed to
the actor (`read:follows`) and admins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors import follow_cases as follows
from smartnode.actors.follow_cases import Relation
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep, request_resolver
from smartnode.api.v1.auth import ChallengeRoute, MaybePrincipalDep, PrincipalDep
from smartnode.api.v1.follow_schemas import (
    MAX_TARGET,
    FollowerIn,
    FollowIn,
    FollowOut,
    RelationOut,
    RelationPage,
    follow_errors,
    relation_out,
)
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.errors import NotFound
from smartnode.federation.fetch import FetchError
from smartnode.federation.uris import NodeUris

PATH = "/actors"
router = APIRouter(prefix=PATH, tags=["follows"], route_class=ChallengeRoute)

Username = Annotated[
    str, Path(max_length=64, description="A member's username or a project's slug.")
]
Target = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_TARGET,
        description="The followed actor: `@user@host`, `acct:user@host` or its actor URL.",
    ),
]


def _unreachable(error: FetchError) -> Response:
    """502 naming what failed: the remote server may heal, so the caller may try again."""
    body = {"error": f"the target's server failed: {error.message}", "code": error.code}
    return JSONResponse(body, status_code=502)


async def _page(
    session: AsyncSession, principal: MaybePrincipalDep, username: str, relation: Relation,
    *, uris: NodeUris, base_url: str, tail: str, limit: int, after: str | None,
) -> RelationPage:  # fmt: skip
    """One page of an actor's followers, follows or follow requests, oldest first."""
    actor, rows = await follows.relations(
        session, principal, username, relation, limit=limit + 1, after_id=parse_cursor(after)
    )
    shown = rows[:limit]
    last_id = shown[-1][2] if len(rows) > limit else None
    path = f"/api/smart/v1{PATH}/{actor.username}/{tail}"
    return RelationPage(
        items=[relation_out(other, since, uris) for since, other, _ in shown],
        next=next_url(base_url, path, limit=limit, last_id=last_id),
    )


@router.post(
    "/{username}/following",
    status_code=201,
    response_model=FollowOut,
    summary="Follow an actor (the member, a coordinator of the project, or an admin)",
    description="A local actor follows a member or project of this node, or an actor on any "
    "server (found by handle through WebFinger, or by actor URL). A remote follow is `pending` "
    "until that actor accepts our Follow; a local one is accepted at once unless its target "
    "approves followers by hand. 201 for a new follow, 200 when it existed already.",
    responses={
        200: {"model": FollowOut, "description": "The follow existed already; nothing sent."},
        **follow_errors(400, 401, 403, 404, 410, 502),
    },
)
async def add_following(
    username: Username,
    data: FollowIn,
    principal: PrincipalDep,
    request: Request,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    try:
        try:
            found = await _follow_once(session, request, uris, principal, username, data.target)
        except IntegrityError:  # the same follow committed at the same instant: it exists now
            found = await _follow_once(session, request, uris, principal, username, data.target)
    except FetchError as error:
        return _unreachable(error)
    out = FollowOut(target=found.target.uri, state="pending" if found.pending else "accepted")
    if not found.created:
        return json_response(out)
    documents.clear()
    return json_response(out, status_code=201)


async def _follow_once(
    session: AsyncSession, request: Request, uris: NodeUris, principal: PrincipalDep,
    username: str, target: str,
) -> follows.Followed:  # fmt: skip
    """One transaction of a follow: what it is now, and whether this call created it."""
    async with session.begin():
        moment = datetime.now(UTC)
        resolver = request_resolver(request, session, moment)
        return await follows.follow_as(session, uris, principal, username, target, resolver, moment)


@router.delete(
    "/{username}/following",
    status_code=204,
    response_class=Response,
    summary="Stop following an actor (the member, a coordinator of the project, or an admin)",
    description="Ends a follow or withdraws a pending one; a remote actor is sent Undo(Follow).",
    responses=follow_errors(400, 401, 403, 404, 410, 502),
)
async def remove_following(
    username: Username,
    target: Target,
    principal: PrincipalDep,
    request: Request,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    try:
        async with session.begin():
            moment = datetime.now(UTC)
            resolver = request_resolver(request, session, moment)
            await follows.unfollow_as(session, uris, principal, username, target, resolver, moment)
    except FetchError as error:
        return _unreachable(error)
    documents.clear()
    return Response(status_code=204)


@router.get(
    "/{username}/following",
    response_model=RelationPage,
    summary="List the actors an actor follows",
    description="Accepted follows only, oldest first; follow `next` for more. Public, except "
    "for a member who hides their network (then to them and admins only).",
    responses=follow_errors(403, 404, 410),
)
async def list_following(
    username: Username,
    session: SessionDep,
    principal: MaybePrincipalDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    page = await _page(session, principal, username, "following", uris=uris,
                       base_url=settings.base_url, tail="following", limit=limit,
                       after=after)  # fmt: skip
    return json_response(page)


@router.get(
    "/{username}/followers",
    response_model=RelationPage,
    summary="List an actor's followers",
    description="Accepted followers only, oldest first; follow `next` for more. Public, except "
    "for a member who hides their network (then to them and admins only).",
    responses=follow_errors(403, 404, 410),
)
async def list_followers(
    username: Username,
    session: SessionDep,
    principal: MaybePrincipalDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    page = await _page(session, principal, username, "followers", uris=uris,
                       base_url=settings.base_url, tail="followers", limit=limit,
                       after=after)  # fmt: skip
    return json_response(page)


@router.get(
    "/{username}/follow-requests",
    response_model=RelationPage,
    summary="List pending follow requests (the actor or an admin)",
    description="Actors waiting for this actor to approve their follow, oldest first.",
    responses=follow_errors(401, 403, 404, 410),
)
async def list_follow_requests(
    username: Username,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    page = await _page(session, principal, username, "requests", uris=uris,
                       base_url=settings.base_url, tail="follow-requests", limit=limit,
                       after=after)  # fmt: skip
    return json_response(page)


@router.post(
    "/{username}/follow-requests/accept",
    response_model=RelationOut,
    summary="Accept a follow request (the actor or an admin)",
    description="The follower is listed from now on; a remote follower is sent Accept(Follow).",
    responses=follow_errors(401, 403, 404, 410),
)
async def accept_request(
    username: Username,
    data: FollowerIn,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        moment = datetime.now(UTC)
        answered = await follows.answer_follow_request(
            session, uris, principal, username, data.follower, True, moment
        )
        if answered is None:
            raise NotFound("the follow request was not accepted")
        out = relation_out(answered[0], answered[1], uris)
    documents.clear()
    return json_response(out)


@router.post(
    "/{username}/follow-requests/reject",
    status_code=204,
    response_class=Response,
    summary="Reject a follow request (the actor or an admin)",
    description="The request is dropped; a remote follower is sent Reject(Follow).",
    responses=follow_errors(401, 403, 404, 410),
)
async def reject_request(
    username: Username,
    data: FollowerIn,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await follows.answer_follow_request(
            session, uris, principal, username, data.follower, False, datetime.now(UTC)
        )
    documents.clear()
    return Response(status_code=204)
