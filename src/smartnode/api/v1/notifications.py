"""/api/smart/v1/notifications: a member's own notifications, newest first, with explanations of
call
matches rendered in the member's language (or `?lang=`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
from smartnode.api.v1.schemas import After, Limit, errors, json_response, next_url, parse_cursor
from smartnode.content import notice_cases as notices
from smartnode.content.notice_cases import Notices, named
from smartnode.matching.explain import Labels, render
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
        "event_join (a request to your event), event_participation (your request answered), "
        "follow (someone follows you or your project, or asks to), mention (a post mentions "
        "you or your project), reply (a reply to your or your project's post)."
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
        data=row.data, handles={u: h for u, h in handles.items() if u in named(row.data)},
    )  # fmt: skip


@router.get(
    PATH,
    response_model=NotificationPage,
    summary="List my notifications (member)",
    description="Newest first. `unread=true` leaves out what was read. Explanations of call "
    "matches are in `lang`, else the member's language, else English. A member token, an app "
    "granted `read:notifications`, or an admin token with `?as=`.",
    responses=errors(401, 403),
)
async def list_notifications(
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    unread: Annotated[bool, Query(description="Only notifications not read yet.")] = False,
    lang: Lang = None,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    async with session.begin():
        found = await notices.my_notifications(
            session, principal, settings.domain, unread=unread, lang=lang, limit=limit + 1,
            before_id=parse_cursor(after),
        )  # fmt: skip
    items = _rendered(found)[:limit]
    last = items[-1].id if len(found.rows) > limit else None
    url = next_url(settings.base_url, f"/api/smart/v1{PATH}", limit=limit, last_id=last)
    if url and unread:
        url += "&unread=true"
    return json_response(NotificationPage(items=items, next=url))


def _rendered(found: Notices) -> list[NotificationOut]:
    return [
        notification_out(row, found.language, found.labels, found.handles) for row in found.rows
    ]


@router.post(
    PATH + "/{notification_id}/read",
    response_model=NotificationOut,
    summary="Mark one of my notifications read (member)",
    description="Idempotent: reading it again keeps the first time it was read. An app needs "
    "`write:notifications`.",
    responses=errors(401, 403, 404),
)
async def read_notification(
    notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    lang: Lang = None,
) -> Response:
    async with session.begin():
        found = await notices.mark_read(
            session, principal, settings.domain, notification_id, lang, datetime.now(UTC)
        )
    (item,) = _rendered(found)
    return json_response(item)
