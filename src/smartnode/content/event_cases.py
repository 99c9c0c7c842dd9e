"""Events as the native API, the CLI and the apps use them: each use case takes the acting
principal and decides with content/access.py. Services never commit.

Writing needs `write:events`: a member publishes as themselves or as a project they coordinate;
the author (or a coordinator, for a project's event) edits and deletes; an admin may delete any.
Reading is public: public and unlisted events only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import WRITE_EVENTS
from smartnode.content.access import OPEN_VALUES, changer, check_change, posting_as
from smartnode.content.events import (
    actor_events,
    create_event,
    delete_event,
    edit_event,
    local_event,
)
from smartnode.content.events_inputs import EventInput, EventUpdate
from smartnode.content.post_cases import live_publisher
from smartnode.errors import NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject


@dataclass(frozen=True, slots=True)
class EventView:
    """An event with its author, as the edges render it."""

    obj: ContentObject
    author: Actor


async def event_view(session: AsyncSession, obj: ContentObject) -> EventView:
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this event no longer exists")
    return EventView(obj, author)


async def publish_event(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str,
    data: EventInput, now: datetime,
) -> EventView:  # fmt: skip
    """Publish an event as `username` (the acting member, or a project they coordinate)."""
    author, _member = await posting_as(session, principal, username, WRITE_EVENTS)
    return await event_view(session, await create_event(session, uris, author=author,
                                                        data=data, now=now))  # fmt: skip


async def change_event(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str,
    data: EventUpdate, now: datetime,
) -> EventView:  # fmt: skip
    """Edit one of our events (its author, or a coordinator of its project)."""
    who = await changer(session, principal, WRITE_EVENTS)
    obj = await local_event(session, uris, token)
    await check_change(session, who, obj, "event")
    return await event_view(session, await edit_event(session, uris, obj, data, now))


async def remove_event(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, now: datetime
) -> None:
    """Delete one of our events (its author, a coordinator of its project, or an admin)."""
    who = await changer(session, principal, WRITE_EVENTS, removing=True)
    obj = await local_event(session, uris, token)
    await check_change(session, who, obj, "event")
    await delete_event(session, uris, obj, now)


async def open_event(session: AsyncSession, uris: NodeUris, token: str) -> EventView:
    """A public or unlisted event of ours (others are not told they exist)."""
    obj = await local_event(session, uris, token)
    if obj.visibility not in OPEN_VALUES:
        raise NotFound("no such event on this node")
    return await event_view(session, obj)


async def list_events(
    session: AsyncSession, username: str, *, now: datetime, past: bool,
    after_id: int | None, limit: int, public_only: bool = False, kind: str | None = None,
) -> tuple[Actor, list[EventView]]:  # fmt: skip
    """A member's or project's (a `kind` of actor, if given) public (and unlisted, unless
    `public_only`) events: upcoming ones soonest first, or past ones latest first."""
    actor = await live_publisher(session, username)
    if kind is not None and actor.kind != kind:
        raise NotFound(f"no {kind} named {username!r} on this node")
    shown = ["public"] if public_only else list(OPEN_VALUES)
    rows = await actor_events(session, actor, now=now, visibilities=shown, past=past,
                              after_id=after_id, limit=limit)  # fmt: skip
    return actor, [EventView(obj, actor) for obj in rows]
