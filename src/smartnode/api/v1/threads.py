"""/api/smart/v1/{posts,events,calls}/{token}/context: the thread around one of our objects.

As Mastodon's /api/smart/v1/statuses/:id/context: `ancestors` (root first) and `descendants` (level
by
level, oldest first in each), local and remote posts alike. Anyone sees public and unlisted
items; with a member (or an app granted `read:statuses`), also what that member may read.
Included by api/v1/posts.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MaybePrincipalDep
from smartnode.api.v1.posts_schemas import post_errors
from smartnode.api.v1.schemas import json_response
from smartnode.content.threads import MAX_ANCESTORS, MAX_DESCENDANTS, Item, thread_of
from smartnode.federation.uris import NodeUris

router = APIRouter(tags=["threads"], route_class=ChallengeRoute)
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The object's `id`.")]


class ThreadAuthor(BaseModel):
    uri: str = Field(description="ActivityPub id of the author.")
    name: str
    handle: str = Field(description="`@user@domain`.")
    url: str = Field(description="The author's profile page.")


class ThreadItem(BaseModel):
    """A post in a thread, ours or from another server."""

    uri: str = Field(description="ActivityPub id of the post.")
    url: str = Field(description="Where a person reads it.")
    type: str = Field(description="Note, Article, Event, …")
    name: str | None = Field(description="Title, when it has one.")
    author: ThreadAuthor
    content: str = Field(description="Sanitised HTML.")
    in_reply_to: str | None
    published_at: datetime


class ThreadContext(BaseModel):
    """The posts an object answers and the replies beneath it."""

    ancestors: list[ThreadItem] = Field(description=f"Root first; at most {MAX_ANCESTORS}.")
    descendants: list[ThreadItem] = Field(
        description=f"Breadth-first, oldest first in each level; at most {MAX_DESCENDANTS}."
    )


def thread_item(item: Item, uris: NodeUris) -> ThreadItem:
    obj, author = item
    url = obj.url if obj.url and obj.url.startswith(("https://", "http://")) else obj.uri
    return ThreadItem(
        uri=obj.uri, url=url, type=obj.ap_type, name=obj.name,
        author=ThreadAuthor(uri=author.uri, name=author.name, handle=handle_of(author, uris.domain),
                            url=author.uri if author.local else (author.url or author.uri)),
        content=obj.content, in_reply_to=obj.in_reply_to_uri, published_at=obj.published_at,
    )  # fmt: skip


async def thread_context(
    session: AsyncSession, uris: NodeUris, uri: str, what: str, principal: Principal
) -> ThreadContext:
    """The context of our object at `uri`, as the caller may read it (content/threads.py)."""
    up, down = await thread_of(session, principal, uri, what)
    return ThreadContext(
        ancestors=[thread_item(item, uris) for item in up],
        descendants=[thread_item(item, uris) for item in down],
    )


_DESCRIPTION = (
    "The posts this {what} answers (`ancestors`, root first) and the replies beneath it "
    "(`descendants`), local and from other servers. Public and unlisted items for everyone; "
    "with a member token (or an app granted `read:statuses`), also those addressed to the "
    "member. A {what} that is not public "
    "answers 404 unless the member may read it."
)


@router.get(
    "/posts/{token}/context",
    response_model=ThreadContext,
    summary="Read a post's thread",
    description=_DESCRIPTION.format(what="post"),
    responses=post_errors(401, 403, 404, 410),
)
async def post_context(
    token: Token, principal: MaybePrincipalDep, session: SessionDep, uris: UrisDep
) -> Response:
    return json_response(await thread_context(session, uris, uris.note(token), "post", principal))


@router.get(
    "/events/{token}/context",
    response_model=ThreadContext,
    summary="Read an event's thread",
    description=_DESCRIPTION.format(what="event"),
    responses=post_errors(401, 403, 404, 410),
)
async def event_context(
    token: Token, principal: MaybePrincipalDep, session: SessionDep, uris: UrisDep
) -> Response:
    return json_response(await thread_context(session, uris, uris.event(token), "event", principal))


@router.get(
    "/calls/{token}/context",
    response_model=ThreadContext,
    summary="Read a call's thread",
    description=_DESCRIPTION.format(what="call"),
    responses=post_errors(401, 403, 404, 410),
)
async def call_context(
    token: Token, principal: MaybePrincipalDep, session: SessionDep, uris: UrisDep
) -> Response:
    return json_response(await thread_context(session, uris, uris.call(token), "call", principal))
