"""Posts (Notes and Articles) as the native API, the CLI and the apps use them: each use case
takes the acting principal and decides with content/access.py. Services never commit.

Writing needs `write:statuses`: a member posts as themselves or as a project they coordinate;
the author (or a coordinator, for a project's post) edits and deletes; an admin may delete any.
Reading is public: public and unlisted posts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import WRITE_STATUSES, maybe_member
from smartnode.actors.records import find_local_actor
from smartnode.actors.resolve import ActorResolver
from smartnode.content.access import OPEN_VALUES, changer, check_change, may_change, posting_as
from smartnode.content.announcements import (
    create_announcement,
    delete_announcement,
    edit_announcement,
    local_post,
)
from smartnode.content.inputs import AnnouncementInput, AnnouncementUpdate
from smartnode.content.social_notices import notify_post
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject


@dataclass(frozen=True, slots=True)
class PostView:
    """A post with its author and the project it belongs to, as the edges render it."""

    obj: ContentObject
    author: Actor
    project: Actor | None


async def post_view(session: AsyncSession, obj: ContentObject) -> PostView:
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this post no longer exists")
    project = await session.get(Actor, obj.project_id) if obj.project_id else None
    return PostView(obj, author, project)


async def publish_post(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str,
    data: AnnouncementInput, resolver: ActorResolver, now: datetime,
    media: Sequence[dict[str, Any]] = (),
) -> PostView:  # fmt: skip
    """Publish a post as `username` (the acting member, or a project they coordinate), with
    the `attachment` documents of pictures uploaded here (`media`)."""
    author, member = await posting_as(session, principal, username, WRITE_STATUSES)
    obj = await create_announcement(session, uris, author=author, member=member, data=data,
                                    resolver=resolver, now=now, media=media)  # fmt: skip
    await notify_post(session, obj, author, now, writer=member)
    return await post_view(session, obj)


async def edit_post(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str,
    data: AnnouncementUpdate, now: datetime,
) -> PostView:  # fmt: skip
    """Edit one of our posts (its author, or a coordinator of its project)."""
    who = await changer(session, principal, WRITE_STATUSES)
    obj = await local_post(session, uris, token)
    await check_change(session, who, obj, "post")
    return await post_view(session, await edit_announcement(session, uris, obj, data, now))


async def delete_post(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, now: datetime
) -> None:
    """Delete one of our posts (its author, a coordinator of its project, or an admin)."""
    who = await changer(session, principal, WRITE_STATUSES, removing=True)
    obj = await local_post(session, uris, token)
    await check_change(session, who, obj, "post")
    await delete_announcement(session, uris, obj, now)


async def may_edit_post(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str
) -> bool:
    """Whether the acting member may edit and delete one of our live posts (its author, or a
    coordinator of its project); False for anyone else and for no member."""
    member = await maybe_member(session, principal, WRITE_STATUSES)
    if member is None or not member.local:
        return False
    try:
        obj = await local_post(session, uris, token)
    except (NotFound, Gone):
        return False
    return await may_change(session, member, obj)


async def read_post(session: AsyncSession, uris: NodeUris, token: str) -> PostView:
    """A public or unlisted post of ours (others are not told they exist)."""
    obj = await local_post(session, uris, token)
    if obj.visibility not in OPEN_VALUES:
        raise NotFound("no such post on this node")
    return await post_view(session, obj)


async def live_publisher(session: AsyncSession, username: str) -> Actor:
    """A live local member or project by name (NotFound, Gone)."""
    actor = await find_local_actor(session, username)
    if actor is None or actor.kind not in ("member", "project"):
        raise NotFound(f"no member or project named {username!r} on this node")
    if actor.deleted_at is not None:
        raise Gone(f"{username!r} was deleted")
    return actor


async def list_posts(
    session: AsyncSession, username: str, *, limit: int, before_id: int | None
) -> tuple[Actor, Sequence[PostView]]:
    """A member's or project's public and unlisted posts, newest first (keyset by row id)."""
    actor = await live_publisher(session, username)
    query = select(ContentObject).where(
        ContentObject.actor_id == actor.id,
        ContentObject.local.is_(True),
        ContentObject.deleted_at.is_(None),
        ContentObject.visibility.in_(OPEN_VALUES),
    )
    if before_id is not None:
        query = query.where(ContentObject.id < before_id)
    rows = await session.scalars(query.order_by(ContentObject.id.desc()).limit(limit))
    return actor, [await post_view(session, obj) for obj in rows.all()]
