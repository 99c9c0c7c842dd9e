"""Notifications of what people do towards a member: follow them (or a project they coordinate),
mention them in a post, reply to one of their posts. Recorded where the follow or the post is
stored (the follow use case, the post use case, the inbox's Follow and Create); services never
commit.

A project's notifications go to its local coordinators. Nobody is told about what they did
themselves, and a post tells only the members who may read it (open, or addressed to them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import coordinators
from smartnode.content.access import in_audience
from smartnode.content.audience import OPEN, recipients
from smartnode.content.compose import excerpt
from smartnode.content.notices import notify_at_commit
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.read_ahead import local_actors, local_object

FOLLOWED, MENTIONED, REPLIED = "follow", "mention", "reply"
EXCERPT = 200
_OPEN_VALUES = frozenset(v.value for v in OPEN)


async def people_behind(session: AsyncSession, actor: Actor) -> list[Actor]:
    """The local members told about `actor`: itself (a live local member), or the local
    coordinators of a local project."""
    if not actor.local or actor.deleted_at is not None:
        return []
    if actor.kind == "member":
        return [actor]
    if actor.kind == "project":
        return [person for person in await coordinators(session, actor) if person.local]
    return []


def profile_url(actor: Actor) -> str:
    """The page a person opens for an actor: ours at its id, a remote one's own page."""
    return actor.uri if actor.local else (actor.url or actor.uri)


def _about(target: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """`data` naming the project concerned, when the target is one."""
    return {**data, "project": target.uri} if target.kind == "project" else data


async def notify_followed(
    session: AsyncSession, follower: Actor, target: Actor, *, pending: bool, now: datetime
) -> None:
    """Tell `target` (or its coordinators) that `follower` follows it, or asks to.

    One notification per follower and followed actor: its object is the follower's entry in
    the followed actor's followers collection (`<followers>#<follower id>`).
    """
    key = f"{NodeUris.collection(target.uri, 'followers')}#{follower.uri}"
    data = _about(target, {"actor": follower.uri, "profile": profile_url(follower),
                           "state": "pending" if pending else "accepted"})  # fmt: skip
    for person in await people_behind(session, target):
        if person.id != follower.id:
            notify_at_commit(session, person.id, FOLLOWED, key, data, now)


async def _may_read(
    session: AsyncSession, obj: ContentObject, author: Actor, reader: Actor
) -> bool:
    if obj.visibility in _OPEN_VALUES:
        return True
    return await in_audience(session, recipients(obj.audience), author, reader.uri)


def _post_data(obj: ContentObject, author: Actor) -> dict[str, Any]:
    return {"actor": author.uri, "url": obj.uri if obj.local else (obj.url or obj.uri),
            "excerpt": excerpt(obj.content or "", EXCERPT)}  # fmt: skip


async def _mentioned(session: AsyncSession, obj: ContentObject) -> list[Actor]:
    hrefs = [t["href"] for t in obj.tags if isinstance(t, dict) and t.get("type") == "Mention"]
    if not hrefs:
        return []
    return await local_actors(session, hrefs)


async def _parent_author(session: AsyncSession, obj: ContentObject) -> Actor | None:
    """The local author of the live post `obj` answers, if any."""
    if not obj.in_reply_to_uri:
        return None
    parent = local_object(session, obj.in_reply_to_uri) or await session.scalar(
        select(ContentObject).where(ContentObject.uri == obj.in_reply_to_uri)
    )
    if parent is None or not parent.local or parent.deleted_at is not None:
        return None
    return await session.get(Actor, parent.actor_id)


async def notify_post(
    session: AsyncSession, obj: ContentObject, author: Actor, now: datetime, *,
    writer: Actor | None = None,
) -> None:  # fmt: skip
    """Tell the members a new post mentions, and the author of the post it answers (unless
    mentioned already), when they may read it; never its author, nor the member who wrote it
    for a project."""
    told: set[int] = {author.id, *([writer.id] if writer else [])}
    base = _post_data(obj, author)
    behind: dict[int, list[Actor]] = {}  # a project mentioned in a reply to its own call

    async def people_of(target: Actor) -> list[Actor]:
        if target.id not in behind:
            behind[target.id] = await people_behind(session, target)
        return behind[target.id]

    for target in await _mentioned(session, obj):
        for person in await people_of(target):
            if person.id not in told and await _may_read(session, obj, author, person):
                told.add(person.id)
                notify_at_commit(session, person.id, MENTIONED, obj.uri, _about(target, base), now)
    parent_author = await _parent_author(session, obj)
    if parent_author is None:
        return
    for person in await people_of(parent_author):
        if person.id not in told and await _may_read(session, obj, author, person):
            told.add(person.id)
            notify_at_commit(session, person.id, REPLIED, obj.uri, _about(parent_author, base), now)
