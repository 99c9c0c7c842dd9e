"""/api/v1/actors/{username}/posts and /api/v1/posts/{id}: announcements (Notes, Articles).

Writes need a member token (or an admin token with `?as=username`): a member posts as
themselves, or as a project they coordinate. Each write and its Create/Update/Delete go out
through the transactional outbox in one transaction. Reads are public and show public and
unlisted posts only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.records import find_local_actor
from smartnode.actors.resolve import FetchingResolver
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1 import threads
from smartnode.api.v1.auth import ChallengeRoute, MemberDep
from smartnode.api.v1.posts_schemas import PostOut, PostPage, post_errors, post_out
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.content.announcements import (
    create_announcement,
    delete_announcement,
    edit_announcement,
    local_post,
    may_change,
    posting_as,
)
from smartnode.content.audience import OPEN
from smartnode.content.inputs import AnnouncementInput, AnnouncementUpdate
from smartnode.errors import Forbidden, Gone, NotFound
from smartnode.federation.fetch import FetchBudget, Fetcher, FetchError
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject

#: Outbound requests one API call may make (WebFinger and actors of the mentions).
FETCHES_PER_CALL = 20
router = APIRouter(tags=["posts"], route_class=ChallengeRoute)

Username = Annotated[
    str, Path(max_length=64, description="A member's username or a project's slug.")
]
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The post's `id`.")]
OPEN_VALUES = [v.value for v in OPEN]


def _resolver(
    request: Request, session: AsyncSession, uris: NodeUris, now: datetime
) -> FetchingResolver:
    """Mentioned remote actors, fetched with the node actor's signature, within a budget."""
    fetcher: Fetcher = request.app.state.fetcher
    signer: httpx.Auth = request.app.state.node_signer
    return FetchingResolver(
        session, uris, fetcher, now=now, signer=signer, budget=FetchBudget(FETCHES_PER_CALL)
    )


async def _out(session: AsyncSession, obj: ContentObject, uris: NodeUris) -> PostOut:
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this post no longer exists")
    project = await session.get(Actor, obj.project_id) if obj.project_id else None
    return post_out(obj, author, project, uris)


async def _changeable(
    session: AsyncSession, uris: NodeUris, member: Actor, token: str
) -> ContentObject:
    obj = await local_post(session, uris, token)
    if not await may_change(session, member, obj):
        if obj.visibility not in OPEN_VALUES:  # its existence is not told to others
            raise NotFound("no such post on this node")
        raise Forbidden(f"{member.username!r} may not change this post")
    return obj


@router.post(
    "/actors/{username}/posts",
    status_code=201,
    response_model=PostOut,
    summary="Publish a post (member)",
    description="A Note, or an Article when `name` (a title) is given, by the member or by a "
    "project they coordinate. Sends Create to the audience its visibility names: public (to "
    "everyone, followers cc'd), unlisted, followers, team (the project's team) or direct (the "
    "mentioned actors only). `Location` names the new post.",
    responses=post_errors(401, 403, 404, 410, 502),
)
async def add_post(
    username: Username,
    data: AnnouncementInput,
    member: MemberDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    try:
        async with session.begin():
            moment = datetime.now(UTC)
            author = await posting_as(session, member, username)
            obj = await create_announcement(
                session, uris, author=author, member=member, data=data,
                resolver=_resolver(request, session, uris, moment), now=moment,
            )  # fmt: skip
            out = await _out(session, obj, uris)
    except FetchError as error:
        body = {"error": f"a mentioned actor's server failed: {error.message}", "code": error.code}
        return JSONResponse(body, status_code=502)
    documents.clear()
    location = {"Location": f"{settings.base_url}/api/v1/posts/{out.id}"}
    return json_response(out, status_code=201, headers=location)


@router.get(
    "/actors/{username}/posts",
    response_model=PostPage,
    summary="List an actor's posts",
    description="Public and unlisted posts of a member or project, newest first. Public.",
    responses=post_errors(404, 410),
)
async def list_posts(
    username: Username,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    actor = await find_local_actor(session, username)
    if actor is None or actor.kind not in ("member", "project"):
        raise NotFound(f"no member or project named {username!r} on this node")
    if actor.deleted_at is not None:
        raise Gone(f"{username!r} was deleted")
    query = select(ContentObject).where(
        ContentObject.actor_id == actor.id,
        ContentObject.local.is_(True),
        ContentObject.deleted_at.is_(None),
        ContentObject.visibility.in_(OPEN_VALUES),
    )
    before = parse_cursor(after)
    if before is not None:
        query = query.where(ContentObject.id < before)
    rows = (await session.scalars(query.order_by(ContentObject.id.desc()).limit(limit + 1))).all()
    shown = rows[:limit]
    last_id = shown[-1].id if len(rows) > limit else None
    path = f"/api/v1/actors/{actor.username}/posts"
    page = PostPage(
        items=[await _out(session, obj, uris) for obj in shown],
        next=next_url(settings.base_url, path, limit=limit, last_id=last_id),
    )
    return json_response(page)


@router.get(
    "/posts/{token}",
    response_model=PostOut,
    summary="Read a post",
    description="Public and unlisted posts only; others answer 404. Public.",
    responses=post_errors(404, 410),
)
async def read_post(token: Token, session: SessionDep, uris: UrisDep) -> Response:
    obj = await local_post(session, uris, token)
    if obj.visibility not in OPEN_VALUES:
        raise NotFound("no such post on this node")
    return json_response(await _out(session, obj, uris))


@router.patch(
    "/posts/{token}",
    response_model=PostOut,
    summary="Edit a post (member)",
    description="Only the fields given change; sends Update to the post's audience. Visibility, "
    "mentions and the post it answers never change. By its author, or for a project's post by "
    "any coordinator of the project.",
    responses=post_errors(401, 403, 404, 410),
)
async def change_post(
    token: Token,
    data: AnnouncementUpdate,
    member: MemberDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        obj = await _changeable(session, uris, member, token)
        obj = await edit_announcement(session, uris, obj, data, datetime.now(UTC))
        out = await _out(session, obj, uris)
    documents.clear()
    return json_response(out)


@router.delete(
    "/posts/{token}",
    status_code=204,
    response_class=Response,
    summary="Delete a post (member)",
    description="The post answers 410 with a Tombstone from then on; sends Delete to its "
    "audience. By its author, or for a project's post by any coordinator of the project.",
    responses=post_errors(401, 403, 404, 410),
)
async def remove_post(
    token: Token, member: MemberDep, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> Response:
    async with session.begin():
        obj = await _changeable(session, uris, member, token)
        await delete_announcement(session, uris, obj, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)


router.include_router(threads.router)  # /posts|events|calls/{token}/context (api/v1/threads.py)
