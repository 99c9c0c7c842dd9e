"""Bodies and answers of the event participation API (/participations, /events/…/participants)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartnode.actors.handles import handle_of
from smartnode.api.v1.schemas import ErrorOut
from smartnode.content.participation import MESSAGE_LIMIT
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import EventParticipant

State = Literal["pending", "accepted", "rejected"]

_DESCRIBED = {
    401: "Missing or invalid token (send `Authorization: Bearer <token>`).",
    403: "The event takes no requests (by invitation, or registration elsewhere), or only its "
    "organizer may do this.",
    404: "No such event (or not visible to you), or no such participation.",
    409: "Conflicts with the current state (full, taking part already, answered already).",
    410: "The event was deleted.",
    422: "Invalid input; `error` names the field.",
}


def participation_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422."""
    return {s: {"model": ErrorOut, "description": _DESCRIBED[s]} for s in sorted({*statuses, 422})}


class ParticipationIn(BaseModel):
    """The event to take part in (its ActivityPub id, of this node or another), and a message
    for the organizer."""

    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1, max_length=2048, description="The Event's ActivityPub id.")
    message: str = Field(default="", max_length=MESSAGE_LIMIT, description="Plain text.")


class ParticipationOut(BaseModel):
    """Your participation in an event."""

    id: int
    event: str = Field(description="The Event's ActivityPub id.")
    name: str = Field(description="The event's title.")
    starts_at: datetime | None
    state: State = Field(description="`pending` until the organizer answers.")
    created_at: datetime


class ParticipationList(BaseModel):
    items: list[ParticipationOut]


class ParticipantOut(BaseModel):
    """Someone taking part (or asking to) in one of your events."""

    id: int
    actor: str = Field(description="ActivityPub id of the participant.")
    name: str
    handle: str
    state: State
    message: str
    created_at: datetime
    answered_at: datetime | None


class ParticipantPage(BaseModel):
    items: list[ParticipantOut]
    next: str | None = Field(description="URL of the next page; null on the last page.")


def participation_out(row: EventParticipant, event: ContentObject) -> ParticipationOut:
    return ParticipationOut(
        id=row.id, event=event.uri, name=event.name or "", starts_at=event.starts_at,
        state=row.state, created_at=row.created_at,
    )  # fmt: skip


def participant_out(row: EventParticipant, actor: Actor, domain: str) -> ParticipantOut:
    return ParticipantOut(
        id=row.id, actor=actor.uri, name=actor.name or actor.username,
        handle=handle_of(actor, domain), state=row.state,
        message=row.message, created_at=row.created_at, answered_at=row.answered_at,
    )  # fmt: skip
