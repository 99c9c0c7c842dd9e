"""Output models of the native API's call routes and board, and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from smartnode.actors.handles import handle_of
from smartnode.api.v1.schemas import ErrorOut
from smartnode.content.call_terms import call_terms
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

    id: str | None = Field(description="Token of one of our calls (/api/smart/v1/calls/{id}); "
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
    terms = call_terms(obj)
    effort, paid = terms.effort, terms.paid
    token = uris.call_token(obj.uri) if obj.local else None
    return CallOut(
        id=token,
        uri=obj.uri,
        local=obj.local,
        author=author.uri,
        author_name=author.name,
        author_handle=handle_of(author, uris.domain),
        visibility=obj.visibility,
        state=terms.state,
        title=terms.title,
        content=obj.content,
        content_map=obj.content_map,
        language=obj.language,
        occupation=terms.occupation,
        skills=[SkillOut(uri=s.uri, name=s.name or s.uri) for s in terms.skills],
        languages=terms.language_codes,
        starts_on=terms.starts_on.isoformat() if terms.starts_on else None,
        ends_on=terms.ends_on.isoformat() if terms.ends_on else None,
        country=terms.country,
        city=terms.city,
        remote=terms.remote,
        positions=terms.positions,
        effort=EffortOut(amount=effort.amount, unit=effort.unit) if effort else None,
        paid=PayOut(amount=paid.amount, currency=paid.currency, unit=paid.unit) if paid else None,
        hashtags=[t["name"].lstrip("#") for t in obj.tags if t.get("type") == "Hashtag"],
        closes_at=terms.closes_at,
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
