"""Output models of the native API's call routes and board, and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from smartnode.actors.handles import handle_of
from smartnode.api.v1.schemas import ErrorOut
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject


class SkillOut(BaseModel):
    uri: str = Field(description="ESCO concept URI.")
    name: str = Field(description="Its preferred label in the call's language.")


class EffortOut(BaseModel):
    amount: str
    unit: str = Field(description="hour, day, week or month.")


class PayOut(BaseModel):
    amount: str
    currency: str
    unit: str = Field(description="hour, day, week, month or project.")


class CallOut(BaseModel):
    """An open call (a Note with FEP-0837 properties on the wire)."""

    id: str | None = Field(description="Token of one of our calls (/api/v1/calls/{id}); "
                           "null for another node's call.")  # fmt: skip
    uri: str = Field(description="ActivityPub id of the call (also its page).")
    local: bool = Field(description="Published on this node.")
    author: str = Field(description="ActivityPub id of the project.")
    author_name: str
    author_handle: str
    visibility: str
    state: str = Field(description="open, closed or filled.")
    title: str | None
    content: str = Field(description="Sanitised HTML: title, text, terms and hashtags.")
    content_map: dict[str, str]
    language: str | None
    occupation: str | None
    skills: list[SkillOut]
    languages: list[str]
    starts_on: str | None
    ends_on: str | None
    country: str | None
    city: str | None
    remote: bool
    positions: int
    effort: EffortOut | None
    paid: PayOut | None = Field(description="Remuneration; null when unpaid.")
    hashtags: list[str]
    closes_at: datetime | None = Field(description="Deadline for applications.")
    published_at: datetime
    updated_at: datetime


class CallPage(BaseModel):
    """One page of calls, newest first."""

    items: list[CallOut]
    next: str | None = Field(description="URL of the next (older) page; null on the last page.")


def call_out(obj: ContentObject, author: Actor, uris: NodeUris) -> CallOut:
    terms: dict[str, Any] = obj.extra.get("call", {}) if isinstance(obj.extra, dict) else {}
    token = uris.call_token(obj.uri) if obj.local else None
    return CallOut(
        id=token,
        uri=obj.uri,
        local=obj.local,
        author=author.uri,
        author_name=author.name,
        author_handle=handle_of(author, uris.domain),
        visibility=obj.visibility,
        state=obj.state or "open",
        title=terms.get("title") or obj.name,
        content=obj.content,
        content_map=obj.content_map,
        language=obj.language,
        occupation=terms.get("occupation"),
        skills=[SkillOut(**s) for s in terms.get("skills", [])],
        languages=terms.get("languages", []),
        starts_on=terms.get("starts_on"),
        ends_on=terms.get("ends_on"),
        country=terms.get("country"),
        city=terms.get("city"),
        remote=bool(terms.get("remote")),
        positions=int(terms.get("positions") or 1),
        effort=EffortOut(**terms["effort"]) if terms.get("effort") else None,
        paid=PayOut(**terms["paid"]) if terms.get("paid") else None,
        hashtags=[t["name"].lstrip("#") for t in obj.tags if t.get("type") == "Hashtag"],
        closes_at=obj.closes_at,
        published_at=obj.published_at,
        updated_at=obj.updated_at,
    )


_DESCRIBED = {
    401: "Missing or invalid token (send `Authorization: Bearer <token>`).",
    403: "Only a coordinator of the project may publish or change its calls.",
    404: "No such project or call (unlisted calls are not listed).",
    409: "The call is closed or filled already.",
    410: "The project or the call was deleted.",
    422: "Invalid input; `error` names the field.",
}


def call_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422."""
    return {s: {"model": ErrorOut, "description": _DESCRIBED[s]} for s in sorted({*statuses, 422})}
