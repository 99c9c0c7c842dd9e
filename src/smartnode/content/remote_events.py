"""Events of other nodes and of the fediverse as this node shows them: one by its id, for a
visitor or a member, and where a member stands with it. Stored by the inbox
(content/events_from_ap.py); taking part goes through content/participation_cases.py (a Join
to the organiser, pending until their Accept). Services never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ, acting_member
from smartnode.content.participation import OPEN_VALUES, may_see, participation
from smartnode.content.participation_cases import Standing
from smartnode.content.terms import EVENT
from smartnode.errors import Gone, NotFound
from smartnode.storage.models import Actor, ContentObject


async def _stored(session: AsyncSession, uri: str) -> tuple[ContentObject, Actor]:
    """A remote event this node stores, with its author (NotFound, Gone)."""
    event = await session.scalar(
        select(ContentObject).where(
            ContentObject.uri == uri,
            ContentObject.kind == EVENT,
            ContentObject.local.is_(False),
        )
    )
    author = await session.get(Actor, event.actor_id) if event is not None else None
    if event is None or author is None:
        raise NotFound("no such event known on this node")
    if event.deleted_at is not None or author.deleted_at is not None:
        raise Gone("the event was deleted")
    return event, author


async def shown_remote_event(
    session: AsyncSession, uri: str, viewer: Actor | None
) -> tuple[ContentObject, Actor]:
    """A remote event and its author as its page shows them: public and unlisted ones to
    everyone, the others only to a member in their audience (NotFound otherwise)."""
    event, author = await _stored(session, uri)
    if event.visibility in OPEN_VALUES:
        return event, author
    if viewer is None or not await may_see(session, event, viewer):
        raise NotFound("no such event known on this node")
    return event, author


async def remote_standing(session: AsyncSession, principal: Principal, uri: str) -> Standing:
    """The acting member's participation in a remote event they may see (never an organiser
    here: the organisers answer on their own server)."""
    member = await acting_member(session, principal, READ)
    event, _author = await shown_remote_event(session, uri, member)
    row = await participation(session, event, member)
    return Standing(event, row.state if row else None, False)
