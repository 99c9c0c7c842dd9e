"""/api/smart/v1/actors/{username}/events and /api/smart/v1/events/{id}: events, and their
iCalendar.

Writes need a member (a member token, an app granted `write:events`, or an admin token with
`?as=username`): a member publishes as themselves, or as a project they coordinate; an admin
may delete any event (content/event_cases.py decides). Each write and its Create/Update/Delete
go out through the transactional outbox in one transaction. Reads are public and show public and
unlisted events only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
from smartnode.api.v1.events_schemas import EventOut, EventPage, event_errors, event_out
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.content import event_cases as events
from smartnode.content.event_cases import EventView
from smartnode.content.events_inputs import EventInput, EventUpdate
from smartnode.content.ical import calendar
from smartnode.federation.uris import NodeUris

router = APIRouter(tags=["events"], route_class=ChallengeRoute)

Username = Annotated[
    str, Path(max_length=64, description="A member's username or a project's slug.")
]
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The event's `id`.")]
When = Annotated[
    Literal["upcoming", "past"],
    Query(description="`upcoming` (not yet ended, soonest first) or `past` (latest first)."),
]
ICS = "text/calendar; charset=utf-8"
#: Events one calendar feed lists at most.
FEED_SIZE = 500


def _out(view: EventView, uris: NodeUris, base: str) -> EventOut:
    return event_out(view.obj, view.author, uris, base)


def ics_response(body: bytes, filename: str) -> Response:
    """An iCalendar answer, shown inline, with a file name for saving."""
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type=ICS, headers=headers)


async def feed(session: AsyncSession, username: str, kind: str | None = None) -> Response:
    """An actor's (of `kind`, if given) upcoming public events as one calendar."""
    actor, rows = await events.list_events(
        session, username, now=datetime.now(UTC), past=False, after_id=None, limit=FEED_SIZE,
        public_only=True, kind=kind,
    )  # fmt: skip
    body = calendar([view.obj for view in rows], name=actor.name or actor.username)
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
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        view = await events.publish_event(
            session, uris, principal, username, data, datetime.now(UTC)
        )
        out = _out(view, uris, settings.base_url)
    documents.clear()
    location = {"Location": f"{settings.base_url}/api/smart/v1/events/{out.id}"}
    return json_response(out, status_code=201, headers=location)


@router.get(
    "/actors/{username}/events.ics",
    response_class=Response,
    summary="An actor's calendar",
    description="Upcoming public events of a member or project as iCalendar. Public.",
    responses={200: {"content": {"text/calendar": {}}}, **event_errors(404, 410)},
)
async def actor_calendar(username: Username, session: SessionDep) -> Response:
    return await feed(session, username)


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
    actor, rows = await events.list_events(
        session, username, now=datetime.now(UTC), past=when == "past",
        after_id=parse_cursor(after), limit=limit + 1,
    )  # fmt: skip
    shown = rows[:limit]
    last_id = shown[-1].obj.id if len(rows) > limit else None
    path = f"/api/smart/v1/actors/{actor.username}/events"
    link = next_url(settings.base_url, path, limit=limit, last_id=last_id)
    if link is not None and when == "past":
        link += "&when=past"
    page = EventPage(items=[_out(view, uris, settings.base_url) for view in shown], next=link)
    return json_response(page)


@router.get(
    "/events/{token}.ics",
    response_class=Response,
    summary="An event as iCalendar",
    description="Public and unlisted events only; others answer 404. Public.",
    responses={200: {"content": {"text/calendar": {}}}, **event_errors(404, 410)},
)
async def event_calendar(token: Token, session: SessionDep, uris: UrisDep) -> Response:
    view = await events.open_event(session, uris, token)
    return ics_response(calendar([view.obj]), f"{token}.ics")


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
    view = await events.open_event(session, uris, token)
    return json_response(_out(view, uris, settings.base_url))


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
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        view = await events.change_event(session, uris, principal, token, data, datetime.now(UTC))
        out = _out(view, uris, settings.base_url)
    documents.clear()
    return json_response(out)


@router.delete(
    "/events/{token}",
    status_code=204,
    response_class=Response,
    summary="Delete an event (member)",
    description="The event answers 410 with a Tombstone from then on; sends Delete to its "
    "audience. By its author, for a project's event by any coordinator of the project, or by "
    "an admin.",
    responses=event_errors(401, 403, 404, 410),
)
async def remove_event(
    token: Token,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await events.remove_event(session, uris, principal, token, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)
