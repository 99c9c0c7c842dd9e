"""/api/smart/v1/actors/{username}/posts and /api/smart/v1/posts/{id}: announcements (Notes,
Articles).

Writes need a member (a member token, an app granted `write:statuses`, or an admin token with
`?as=username`): a member posts as themselves, or as a project they coordinate; an admin may
delete any post (content/post_cases.py decides). Each write and its Create/Update/Delete go
out through the transactional outbox in one transaction. Reads are public and show public and
unlisted posts only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep, request_resolver
from smartnode.api.v1 import threads
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
from smartnode.api.v1.posts_schemas import PostOut, PostPage, post_errors, post_out
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.content import post_cases as posts
from smartnode.content.inputs import AnnouncementInput, AnnouncementUpdate
from smartnode.content.post_cases import PostView
from smartnode.federation.fetch import FetchError
from smartnode.federation.uris import NodeUris

#: Outbound requests one API call may make (WebFinger and actors of the mentions).
FETCHES_PER_CALL = 20
router = APIRouter(tags=["posts"], route_class=ChallengeRoute)

Username = Annotated[
    str, Path(max_length=64, description="A member's username or a project's slug.")
]
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The post's `id`.")]


def _out(view: PostView, uris: NodeUris) -> PostOut:
    return post_out(view.obj, view.author, view.project, uris)


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
    principal: PrincipalDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    try:
        async with session.begin():
            moment = datetime.now(UTC)
            resolver = request_resolver(request, session, moment, fetches=FETCHES_PER_CALL)
            view = await posts.publish_post(
                session, uris, principal, username, data, resolver, moment
            )
            out = _out(view, uris)
    except FetchError as error:
        body = {"error": f"a mentioned actor's server failed: {error.message}", "code": error.code}
        return JSONResponse(body, status_code=502)
    documents.clear()
    location = {"Location": f"{settings.base_url}/api/smart/v1/posts/{out.id}"}
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
    actor, rows = await posts.list_posts(
        session, username, limit=limit + 1, before_id=parse_cursor(after)
    )
    shown = rows[:limit]
    last_id = shown[-1].obj.id if len(rows) > limit else None
    path = f"/api/smart/v1/actors/{actor.username}/posts"
    page = PostPage(
        items=[_out(view, uris) for view in shown],
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
    return json_response(_out(await posts.read_post(session, uris, token), uris))


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
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        view = await posts.edit_post(session, uris, principal, token, data, datetime.now(UTC))
        out = _out(view, uris)
    documents.clear()
    return json_response(out)


@router.delete(
    "/posts/{token}",
    status_code=204,
    response_class=Response,
    summary="Delete a post (member)",
    description="The post answers 410 with a Tombstone from then on; sends Delete to its "
    "audience. By its author, for a project's post by any coordinator of the project, or by "
    "an admin.",
    responses=post_errors(401, 403, 404, 410),
)
async def remove_post(
    token: Token,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await posts.delete_post(session, uris, principal, token, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)


router.include_router(threads.router)  # /posts|events|calls/{token}/context (api/v1/threads.py)
