"""Input and output models of the native API's application routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from smartnode.api.v1.schemas import ErrorOut
from smartnode.content.call_terms import call_terms
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application

_DESCRIBED = {
    401: "No valid token.",
    403: "Not a coordinator of the project, an app without the scope, or an admin token "
    "without `?as=`.",
    404: "No such call, project or application (or not yours to see).",
    409: "The call is not open, you already applied, or the application is past this step.",
    502: "The call's server could not be reached.",
}


class ApplicationInput(BaseModel):
    """An application to an open call of this node or of another."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    call: HttpUrl = Field(description="ActivityPub id of the call (this node's or another's).")
    motivation: str = Field(min_length=1, max_length=5000, description="Plain text.")
    links: list[HttpUrl] = Field(default_factory=list, max_length=5, description="Portfolio…")


class DecisionInput(BaseModel):
    """An acceptance: the role the applicant takes in the team."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["member", "guest"] = "member"


class RemoteDecisionInput(BaseModel):
    """A decision by a coordinator of another node's project on an application forwarded to
    them; signed as the member and sent to the project only."""

    model_config = ConfigDict(extra="forbid")

    offer: HttpUrl = Field(description="The application's Offer id (from the list of yours).")
    decision: Literal["accept", "reject", "shortlist"]
    role: Literal["member", "guest"] = "member"


class ApplicationOut(BaseModel):
    """An application: seen only by its applicant and by the project's coordinators."""

    id: int
    uri: str = Field(description="The Offer id (or the direct reply's id).")
    call: str = Field(description="ActivityPub id of the call.")
    call_title: str | None
    project: str = Field(description="ActivityPub id of the project.")
    applicant: str = Field(description="ActivityPub id of the applicant.")
    local: bool = Field(description="True when the project is on this node (it decides here).")
    via: Literal["offer", "reply"]
    state: str = Field(description="pending, shortlisted, accepted, rejected or withdrawn.")
    motivation: str = Field(description="Sanitised HTML.")
    links: list[str]
    role: str | None
    created_at: datetime
    decided_at: datetime | None


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next: str | None


class RemoteDecisionOut(BaseModel):
    activity: str = Field(description="Id of the activity sent to the project.")


def application_out(
    app: Application, call: ContentObject, project: Actor, applicant: Actor
) -> ApplicationOut:
    title = call_terms(call).title
    return ApplicationOut(
        id=app.id, uri=app.uri, call=call.uri, call_title=title, project=project.uri,
        applicant=applicant.uri, local=app.local, via="reply" if app.via == "reply" else "offer",
        state=app.state, motivation=app.motivation, links=list(app.links), role=app.role,
        created_at=app.created_at, decided_at=app.decided_at,
    )  # fmt: skip


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422."""
    described = {**_DESCRIBED, 422: "Invalid input."}
    return {s: {"model": ErrorOut, "description": described[s]} for s in sorted({*statuses, 422})}
