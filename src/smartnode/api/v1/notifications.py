"""/api/v1/notifications: a member's own notifications, newest first, with explanations of call
matches rendered in the member's language (or `?lang=`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handles_by_uri
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.api.v1.auth import ChallengeRoute, MemberDep
from smartnode.api.v1.schemas import After, Limit, errors, json_response, next_url, parse_cursor
from smartnode.errors import NotFound
from smartnode.matching.candidates import labels_for
from smartnode.matching.explain import Labels, render, uris_of, viewer_language
from smartnode.storage.models import Actor
from smartnode.storage.models_work import Notification

router = APIRouter(tags=["notifications"], route_class=ChallengeRoute)

PATH = "/notifications"
Lang = Annotated[
    str | None, Query(pattern=r"^[a-z]{2,3}$", description="Language of explanations.")
]


class NotificationOut(BaseModel):
    """Something for the member: a matching call, an application, a decision, an invitation."""

    id: int
    kind: str = Field(
        description="call_match (a call suits you), application / withdrawal (to your project), "
        "decision (on your application), team_join / team_invite / team_no_coordinator, "
        "event_join (a request to your event), event_participation (your request answered)."
    )
    object_uri: str = Field(description="What it is about (a call's id, …).")
    created_at: datetime
    read_at: datetime | None
    score: float | None = Field(description="A call match's score, 0-1.")
    explanation: str | None = Field(description="Why it matched, in the asked language.")
    data: dict[str, Any] = Field(description="The details stored with it (explanation parts).")
    handles: dict[str, str] = Field(
        description="`@user@domain` of each actor `data` names (applicant, project, …), by id."
    )


class NotificationPage(BaseModel):
    """One page of notifications, newest first; follow `next` for older ones."""

    items: list[NotificationOut]
    next: str | None


def notification_out(
    row: Notification, language: str, labels: Labels, handles: dict[str, str]
) -> NotificationOut:
    parts = row.data.get("parts") if isinstance(row.data.get("parts"), list) else None
    score = row.data.get("score")
    return NotificationOut(
        id=row.id, kind=row.kind, object_uri=row.object_uri, created_at=row.created_at,
        read_at=row.read_at, score=score if isinstance(score, int | float) else None,
        explanation=render(parts, language, labels) if parts is not None else None,
        data=row.data, handles={u: h for u, h in handles.items() if u in _strings(row.data)},
    )  # fmt: skip


def _strings(data: dict[str, Any]) -> set[str]:
    return {value for value in data.values() if isinstance(value, str)}


async def _rendered(
    session: AsyncSession, rows: list[Notification], language: str, domain: str
) -> list[NotificationOut]:
    uris = set().union(*(uris_of(r.data.get("parts") or []) for r in rows)) if rows else set()
    labels = await labels_for(session, uris, language)
    handles = await handles_by_uri(session, (s for r in rows for s in _strings(r.data)), domain)
    return [notification_out(row, language, labels, handles) for row in rows]


@router.get(
    PATH,
    response_model=NotificationPage,
    summary="List my notifications (member token)",
    description="Newest first. `unread=true` leaves out what was read. Explanations of call "
    "matches are in `lang`, else the member's language, else English.",
    responses=errors(401),
)
async def list_notifications(
    member: MemberDep,
    session: SessionDep,
    settings: SettingsDep,
    unread: Annotated[bool, Query(description="Only notifications not read yet.")] = False,
    lang: Lang = None,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    after_id = parse_cursor(after)
    query = select(Notification).where(Notification.actor_id == member.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if after_id is not None:
        query = query.where(Notification.id < after_id)
    async with session.begin():
        rows = list(await session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
        items = await _rendered(session, rows[:limit], _language(member, lang), settings.domain)
    last = items[-1].id if len(rows) > limit else None
    url = next_url(settings.base_url, f"/api/v1{PATH}", limit=limit, last_id=last)
    if url and unread:
        url += "&unread=true"
    return json_response(NotificationPage(items=items, next=url))


def _language(member: Actor, lang: str | None) -> str:
    return viewer_language(lang or member.language)


@router.post(
    PATH + "/{notification_id}/read",
    response_model=NotificationOut,
    summary="Mark one of my notifications read (member token)",
    description="Idempotent: reading it again keeps the first time it was read.",
    responses=errors(401, 404),
)
async def read_notification(
    notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    member: MemberDep,
    session: SessionDep,
    settings: SettingsDep,
    lang: Lang = None,
) -> Response:
    async with session.begin():
        row = await session.get(Notification, notification_id)
        if row is None or row.actor_id != member.id:
            raise NotFound("no such notification of yours")
        if row.read_at is None:
            row.read_at = datetime.now(UTC)
        (item,) = await _rendered(session, [row], _language(member, lang), settings.domain)
    return json_response(item)
