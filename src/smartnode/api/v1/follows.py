"""/api/v1/actors/{username}/…: follows of members and projects, and their follow requests.

`username` is a member's username or a project's slug. A remote target is resolved through the
Fetcher (WebFinger for handles), signed by the node actor; the Follow, Undo, Accept and Reject
go out through the transactional outbox, in the transaction of the change they announce.
Lists show accepted follows only (as the ActivityPub collections do); pending ones are
follow requests, listed to admins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.collections import followers_query, following_query
from smartnode.actors.follows import (
    PENDING,
    accept_follow_request,
    follow,
    reject_follow_request,
    unfollow,
)
from smartnode.actors.records import find_local_actor
from smartnode.actors.resolve import FetchingResolver
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import AdminDep, ChallengeRoute, MaybeAdminDep
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
from smartnode.errors import Forbidden, Gone, NotFound
from smartnode.federation.fetch import FetchBudget, Fetcher, FetchError
from smartnode.federation.uris import NodeUris
from smartnode.federation.webfinger_client import parse_handle
from smartnode.storage.models import Actor, ApiToken, Follow

PATH = "/actors"
#: Outbound requests one API call may make (WebFinger, its loop-back, redirects, the actor).
FETCHES_PER_CALL = 10
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


async def _local(session: AsyncSession, username: str) -> Actor:
    """The live local actor named `username`; NotFound if none, Gone if deleted."""
    actor = await find_local_actor(session, username)
    if actor is None:
        raise NotFound(f"no member or project named {username!r} on this node")
    if actor.deleted_at is not None:
        raise Gone(f"{username!r} was deleted")
    return actor


def _resolver(
    request: Request, session: AsyncSession, uris: NodeUris, now: datetime
) -> FetchingResolver:
    """Remote actors fetched with the node actor's signature, within a per-call budget."""
    fetcher: Fetcher = request.app.state.fetcher
    signer: httpx.Auth = request.app.state.node_signer
    return FetchingResolver(
        session, uris, fetcher, now=now, signer=signer, budget=FetchBudget(FETCHES_PER_CALL)
    )


def _unreachable(error: FetchError) -> Response:
    """502 naming what failed: the remote server may heal, so the caller may try again."""
    body = {"error": f"the target's server failed: {error.message}", "code": error.code}
    return JSONResponse(body, status_code=502)


async def _followed_uri(
    session: AsyncSession, resolver: FetchingResolver, follower: Actor, target: str
) -> str:
    """The actor id `target` names; a handle is matched against stored follows before any HTTP."""
    if "://" in target:
        return target
    handle = parse_handle(target)
    stored = await session.scalar(
        select(Actor.uri)
        .join(Follow, Follow.followed_id == Actor.id)
        .where(
            Follow.follower_id == follower.id,
            Actor.local.is_(False),
            Actor.domain == handle.host,
            func.lower(Actor.username) == handle.username.lower(),
        )
        .limit(1)
    )
    if stored is not None:
        return stored
    found = await resolver.account(target)
    if found is None:
        raise NotFound(f"no actor found for {target!r}")
    return found.uri


def _pending_query(actor_id: int) -> Select[int, str]:
    """(follow id, follower uri) of pending follows of an actor by live actors."""
    return (
        select(Follow.id, Actor.uri)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == PENDING)
        .where(Actor.deleted_at.is_(None))
    )


async def _relation_page(
    session: AsyncSession,
    query: Select[int, str],
    *,
    uris: NodeUris,
    next_base: tuple[str, str],
    limit: int,
    after: str | None,
) -> RelationPage:
    """One page of (follow id, actor uri) rows, oldest follow first, with the actors."""
    after_id = parse_cursor(after)
    if after_id is not None:
        query = query.where(Follow.id > after_id)
    paged = query.add_columns(Follow.created_at, Actor).order_by(Follow.id).limit(limit + 1)
    rows = (await session.execute(paged)).all()
    shown = rows[:limit]
    last_id = shown[-1][0] if len(rows) > limit else None
    base_url, path = next_base
    return RelationPage(
        items=[relation_out(actor, since, uris) for _, _, since, actor in shown],
        next=next_url(base_url, path, limit=limit, last_id=last_id),
    )


@router.post(
    "/{username}/following",
    status_code=201,
    response_model=FollowOut,
    summary="Follow an actor (admin)",
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
    _: AdminDep,
    request: Request,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    try:
        try:
            out, created = await _follow_once(session, request, uris, username, data.target)
        except IntegrityError:  # the same follow committed at the same instant: it exists now
            out, created = await _follow_once(session, request, uris, username, data.target)
    except FetchError as error:
        return _unreachable(error)
    if not created:
        return json_response(out)
    documents.clear()
    return json_response(out, status_code=201)


async def _follow_once(
    session: AsyncSession, request: Request, uris: NodeUris, username: str, target_uri: str
) -> tuple[FollowOut, bool]:
    """One transaction of a follow: what it is now, and whether this call created it."""
    async with session.begin():
        moment = datetime.now(UTC)
        actor = await _local(session, username)
        resolver = _resolver(request, session, uris, moment)
        row = await follow(session, uris, actor, target_uri, resolver, moment)
        target = await session.get(Actor, row.followed_id)
        assert target is not None  # the follow row references it
        state = "pending" if row.state == PENDING else "accepted"
        created = row.created_at == moment  # an existing follow keeps its creation time
        return FollowOut(target=target.uri, state=state), created


@router.delete(
    "/{username}/following",
    status_code=204,
    response_class=Response,
    summary="Stop following an actor (admin)",
    description="Ends a follow or withdraws a pending one; a remote actor is sent Undo(Follow).",
    responses=follow_errors(400, 401, 404, 410, 502),
)
async def remove_following(
    username: Username,
    target: Target,
    _: AdminDep,
    request: Request,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    try:
        async with session.begin():
            moment = datetime.now(UTC)
            actor = await _local(session, username)
            resolver = _resolver(request, session, uris, moment)
            target_uri = await _followed_uri(session, resolver, actor, target)
            if not await unfollow(session, uris, actor, target_uri, moment):
                raise NotFound(f"{actor.username!r} does not follow {target!r}")
    except FetchError as error:
        return _unreachable(error)
    documents.clear()
    return Response(status_code=204)


def _refuse_hidden(actor: Actor, admin: ApiToken | None) -> None:
    """A member who hides their network shows counts only (the admin still sees the lists)."""
    if actor.hide_network and admin is None:
        raise Forbidden(f"{actor.username!r} shows the size of their network, not its members")


@router.get(
    "/{username}/following",
    response_model=RelationPage,
    summary="List the actors an actor follows",
    description="Accepted follows only, oldest first; follow `next` for more. Public.",
    responses=follow_errors(403, 404, 410),
)
async def list_following(
    username: Username,
    session: SessionDep,
    admin: MaybeAdminDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    actor = await _local(session, username)
    _refuse_hidden(actor, admin)
    page = await _relation_page(
        session,
        following_query(actor.id),
        uris=uris,
        next_base=(settings.base_url, f"/api/v1{PATH}/{actor.username}/following"),
        limit=limit,
        after=after,
    )
    return json_response(page)


@router.get(
    "/{username}/followers",
    response_model=RelationPage,
    summary="List an actor's followers",
    description="Accepted followers only, oldest first; follow `next` for more. Public.",
    responses=follow_errors(403, 404, 410),
)
async def list_followers(
    username: Username,
    session: SessionDep,
    admin: MaybeAdminDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    actor = await _local(session, username)
    _refuse_hidden(actor, admin)
    page = await _relation_page(
        session,
        followers_query(actor.id),
        uris=uris,
        next_base=(settings.base_url, f"/api/v1{PATH}/{actor.username}/followers"),
        limit=limit,
        after=after,
    )
    return json_response(page)


@router.get(
    "/{username}/follow-requests",
    response_model=RelationPage,
    summary="List pending follow requests (admin)",
    description="Actors waiting for this actor to approve their follow, oldest first.",
    responses=follow_errors(401, 404, 410),
)
async def list_follow_requests(
    username: Username,
    _: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    actor = await _local(session, username)
    page = await _relation_page(
        session,
        _pending_query(actor.id),
        uris=uris,
        next_base=(settings.base_url, f"/api/v1{PATH}/{actor.username}/follow-requests"),
        limit=limit,
        after=after,
    )
    return json_response(page)


@router.post(
    "/{username}/follow-requests/accept",
    response_model=RelationOut,
    summary="Accept a follow request (admin)",
    description="The follower is listed from now on; a remote follower is sent Accept(Follow).",
    responses=follow_errors(401, 404, 410),
)
async def accept_request(
    username: Username,
    data: FollowerIn,
    _: AdminDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        moment = datetime.now(UTC)
        actor = await _local(session, username)
        row = await accept_follow_request(session, uris, actor, data.follower, moment)
        follower = await session.get(Actor, row.follower_id)
        assert follower is not None  # the follow row references it
        out = relation_out(follower, row.created_at, uris)
    documents.clear()
    return json_response(out)


@router.post(
    "/{username}/follow-requests/reject",
    status_code=204,
    response_class=Response,
    summary="Reject a follow request (admin)",
    description="The request is dropped; a remote follower is sent Reject(Follow).",
    responses=follow_errors(401, 404, 410),
)
async def reject_request(
    username: Username,
    data: FollowerIn,
    _: AdminDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        moment = datetime.now(UTC)
        actor = await _local(session, username)
        await reject_follow_request(session, uris, actor, data.follower, moment)
    documents.clear()
    return Response(status_code=204)
