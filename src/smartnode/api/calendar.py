"""iCalendar feeds at an actor's own URL: /members/{username}/events.ics and
/projects/{slug}/events.ics (uris.calendar), the actor's upcoming public events. Public."""

from __future__ import annotations

from fastapi import APIRouter, Response

from smartnode.api.deps import SessionDep
from smartnode.api.v1.events import Username, feed

router = APIRouter(include_in_schema=False)


async def _feed(session: SessionDep, username: str, kind: str) -> Response:
    return await feed(session, username, kind)


@router.get("/members/{username}/events.ics")
async def member_calendar(username: Username, session: SessionDep) -> Response:
    """A member's upcoming public events."""
    return await _feed(session, username, "member")


@router.get("/projects/{slug}/events.ics")
async def project_calendar(slug: Username, session: SessionDep) -> Response:
    """A project's upcoming public events."""
    return await _feed(session, slug, "project")
