"""/api/v1/actors/{username}/events and /api/v1/events/{id}: events, and their iCalendar.

Writes need a member token (or an admin token with `?as=username`): a member publishes as
themselves, or as a project they coordinate. Each write and its Create/Update/Delete go out
through the transactional outbox in one transaction. Reads are public and show public and
unlisted events only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.records import find_local_actor
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MemberDep
from smartnode.api.v1.events_schemas import EventOut, EventPage, event_errors, event_out
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.content.announcements import may_change, posting_as
from smartnode.content.audience import OPEN
from smartnode.content.events import (
    actor_events,
    create_event,
    delete_event,
    edit_event,
    local_event,
)
from smartnode.content.events_inputs import EventInput, EventUpdate
from smartnode.content.ical import calendar
from smartnode.errors import Forbidden, Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject

router = APIRouter(tags=["events"], route_class=ChallengeRoute)

Username = Annotated[
    str, Path(max_length=64, description="A member's username or a project's slug.")
]
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The event's `id`.")]
When = Annotated[
    Literal["upcoming", "past"],
    Query(description="`upcoming` (not yet ended, soonest first) or `past` (latest first)."),
]
OPEN_VALUES = [v.value for v in OPEN]
ICS = "text/calendar; charset=utf-8"
#: Events one calendar feed lists at most.
FEED_SIZE = 500


async def _out(session: AsyncSession, obj: ContentObject, uris: NodeUris, base: str) -> EventOut:
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this event no longer exists")
    return event_out(obj, author, uris, base)


async def _changeable(
    session: AsyncSession, uris: NodeUris, member: Actor, token: str
) -> ContentObject:
    obj = await local_event(session, uris, token)
    if not await may_change(session, member, obj):
        if obj.visibility not in OPEN_VALUES:  # its existence is not told to others
            raise NotFound("no such event on this node")
        raise Forbidden(f"{member.username!r} may not change this event")
    return obj


async def publisher(session: AsyncSession, username: str) -> Actor:
    """A live local member or project by name (NotFound, Gone)."""
    actor = await find_local_actor(session, username)
    if actor is None or actor.kind not in ("member", "project"):
        raise NotFound(f"no member or project named {username!r} on this node")
    if actor.deleted_at is not None:
        raise Gone(f"{username!r} was deleted")
    return actor


def ics_response(body: bytes, filename: str) -> Response:
    """An iCalendar answer, shown inline, with a file name for saving."""
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type=ICS, headers=headers)


async def feed(session: AsyncSession, actor: Actor) -> Response:
    """An actor's upcoming public events as one calendar."""
    rows = await actor_events(
        session, actor, now=datetime.now(UTC), visibilities=["public"], limit=FEED_SIZE
    )
    body = calendar(rows, name=actor.name or actor.username)
    return ics_response(body, f"{actor.username}-events.ics")


@router.post(
    "/actors/{username}/events",
    status_code=201,
    response_model=EventOut,
    summary="Publish an event (member)",
    description="An Event by the member or by a project they coordinate: title, description, "
    "start and end in an IANA time zone, a place, an online URL or both, join mode and "
    "capacity. Sends Create to the audience its visibility names (public, unlisted or "
    "followers). `Location` names the new event.",
    responses=event_errors(401, 403, 404, 410),
)
async def add_event(
    username: Username,
    data: EventInput,
    member: MemberDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        author = await posting_as(session, member, username)
        obj = await create_event(session, uris, author=author, data=data, now=datetime.now(UTC))
        out = await _out(session, obj, uris, settings.base_url)
    documents.clear()
    location = {"Location": f"{settings.base_url}/api/v1/events/{out.id}"}
    return json_response(out, status_code=201, headers=location)


@router.get(
    "/actors/{username}/events.ics",
    response_class=Response,
    summary="An actor's calendar",
    description="Upcoming public events of a member or project as iCalendar. Public.",
    responses={200: {"content": {"text/calendar": {}}}, **event_errors(404, 410)},
)
async def actor_calendar(username: Username, session: SessionDep) -> Response:
    return await feed(session, await publisher(session, username))


@router.get(
    "/actors/{username}/events",
    response_model=EventPage,
    summary="List an actor's events",
    description="Public and unlisted events of a member or project: upcoming ones soonest "
    "first, or with `when=past` past ones latest first. Public.",
    responses=event_errors(404, 410),
)
async def list_events(
    username: Username,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    when: When = "upcoming",
    limit: Limit = 20,
    after: After = None,
) -> Response:
    actor = await publisher(session, username)
    rows = await actor_events(
        session, actor, now=datetime.now(UTC), visibilities=OPEN_VALUES, past=when == "past",
        after_id=parse_cursor(after), limit=limit + 1,
    )  # fmt: skip
    shown = rows[:limit]
    last_id = shown[-1].id if len(rows) > limit else None
    path = f"/api/v1/actors/{actor.username}/events"
    link = next_url(settings.base_url, path, limit=limit, last_id=last_id)
    if link is not None and when == "past":
        link += "&when=past"
    page = EventPage(
        items=[await _out(session, obj, uris, settings.base_url) for obj in shown], next=link
    )
    return json_response(page)


@router.get(
    "/events/{token}.ics",
    response_class=Response,
    summary="An event as iCalendar",
    description="Public and unlisted events only; others answer 404. Public.",
    responses={200: {"content": {"text/calendar": {}}}, **event_errors(404, 410)},
)
async def event_calendar(token: Token, session: SessionDep, uris: UrisDep) -> Response:
    obj = await local_event(session, uris, token)
    if obj.visibility not in OPEN_VALUES:
        raise NotFound("no such event on this node")
    return ics_response(calendar([obj]), f"{token}.ics")


@router.get(
    "/events/{token}",
    response_model=EventOut,
    summary="Read an event",
    description="Public and unlisted events only; others answer 404. Public.",
    responses=event_errors(404, 410),
)
async def read_event(
    token: Token, session: SessionDep, settings: SettingsDep, uris: UrisDep
) -> Response:
    obj = await local_event(session, uris, token)
    if obj.visibility not in OPEN_VALUES:
        raise NotFound("no such event on this node")
    return json_response(await _out(session, obj, uris, settings.base_url))


@router.patch(
    "/events/{token}",
    response_model=EventOut,
    summary="Edit an event (member)",
    description="Only the fields given change (null clears `ends_at`, `place`, `online_url` "
    "or `capacity`); sends Update to the event's audience. Visibility never changes. By its "
    "author, or for a project's event by any coordinator of the project.",
    responses=event_errors(401, 403, 404, 410),
)
async def change_event(
    token: Token,
    data: EventUpdate,
    member: MemberDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        obj = await _changeable(session, uris, member, token)
        obj = await edit_event(session, uris, obj, data, datetime.now(UTC))
        out = await _out(session, obj, uris, settings.base_url)
    documents.clear()
    return json_response(out)


@router.delete(
    "/events/{token}",
    status_code=204,
    response_class=Response,
    summary="Delete an event (member)",
    description="The event answers 410 with a Tombstone from then on; sends Delete to its "
    "audience. By its author, or for a project's event by any coordinator of the project.",
    responses=event_errors(401, 403, 404, 410),
)
async def remove_event(
    token: Token, member: MemberDep, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> Response:
    async with session.begin():
        obj = await _changeable(session, uris, member, token)
        await delete_event(session, uris, obj, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)
