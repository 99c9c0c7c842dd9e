"""/api/v1/{posts,events,calls}/{token}/context: the thread around one of our objects.

As Mastodon's /api/v1/statuses/:id/context: `ancestors` (root first) and `descendants` (level by
level, oldest first in each), local and remote posts alike. Anyone sees public and unlisted
items; with a member token, also what that member may read. Included by api/v1/posts.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, UrisDep
from smartnode.api.v1.auth import ActingAs, ChallengeRoute, Declared, bearer_token, require_member
from smartnode.api.v1.posts_schemas import post_errors
from smartnode.api.v1.schemas import json_response
from smartnode.content.lifecycle import local_object
from smartnode.content.threads import MAX_ANCESTORS, MAX_DESCENDANTS, Item, Reader
from smartnode.content.threads import ancestors as walk_up
from smartnode.content.threads import descendants as walk_down
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor

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


async def optional_member(
    request: Request, session: SessionDep, _: Declared, as_: ActingAs = None
) -> Actor | None:
    """The member a token acts for; None without a token (a bad token is still refused)."""
    if bearer_token(request) is None:
        return None
    return await require_member(request, session, _, as_)


MaybeMemberDep = Annotated[Actor | None, Depends(optional_member)]


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
    session: AsyncSession, uris: NodeUris, uri: str, what: str, member: Actor | None
) -> ThreadContext:
    """The context of our object at `uri`; NotFound when the reader may not read it."""
    obj = await local_object(session, uri, what)
    author = await session.get(Actor, obj.actor_id)
    if author is None or author.deleted_at is not None:
        raise Gone(f"the author of this {what} was deleted")
    reader = Reader(member)
    if not await reader.may_read(session, obj, author):
        raise NotFound(f"no such {what} on this node")
    up = await walk_up(session, obj, reader)
    down = await walk_down(session, obj, reader)
    return ThreadContext(
        ancestors=[thread_item(item, uris) for item in up],
        descendants=[thread_item(item, uris) for item in down],
    )


_DESCRIPTION = (
    "The posts this {what} answers (`ancestors`, root first) and the replies beneath it "
    "(`descendants`), local and from other servers. Public and unlisted items for everyone; "
    "with a member token, also those addressed to the member. A {what} that is not public "
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
    token: Token, member: MaybeMemberDep, session: SessionDep, uris: UrisDep
) -> Response:
    return json_response(await thread_context(session, uris, uris.note(token), "post", member))


@router.get(
    "/events/{token}/context",
    response_model=ThreadContext,
    summary="Read an event's thread",
    description=_DESCRIPTION.format(what="event"),
    responses=post_errors(401, 403, 404, 410),
)
async def event_context(
    token: Token, member: MaybeMemberDep, session: SessionDep, uris: UrisDep
) -> Response:
    return json_response(await thread_context(session, uris, uris.event(token), "event", member))


@router.get(
    "/calls/{token}/context",
    response_model=ThreadContext,
    summary="Read a call's thread",
    description=_DESCRIPTION.format(what="call"),
    responses=post_errors(401, 403, 404, 410),
)
async def call_context(
    token: Token, member: MaybeMemberDep, session: SessionDep, uris: UrisDep
) -> Response:
    return json_response(await thread_context(session, uris, uris.call(token), "call", member))
