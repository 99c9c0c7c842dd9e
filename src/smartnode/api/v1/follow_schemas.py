"""Input and output models of the native API's follow routes, and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartnode.actors.handles import handle_of
from smartnode.api.v1.schemas import ErrorOut
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor

#: Long enough for any actor URL we would fetch; longer input is refused before any lookup.
MAX_TARGET = 2048


class FollowIn(BaseModel):
    """Whom to follow: a handle or an actor id, on this node or any other."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(
        min_length=1,
        max_length=MAX_TARGET,
        description="`@user@host`, `acct:user@host` or an actor URL.",
        examples=["@alice@mastodon.example"],
    )


class FollowOut(BaseModel):
    """A follow by one of our actors: whom, and whether it counts yet."""

    target: str = Field(description="ActivityPub id of the followed actor.")
    state: Literal["pending", "accepted"] = Field(
        description="`pending` until the followed actor accepts; only `accepted` follows "
        "appear in the following collection."
    )


class FollowerIn(BaseModel):
    """The actor whose follow request is answered."""

    model_config = ConfigDict(extra="forbid")

    follower: str = Field(
        min_length=1,
        max_length=MAX_TARGET,
        description="ActivityPub id of the actor who asked to follow.",
        examples=["https://mastodon.example/users/alice"],
    )


class RelationOut(BaseModel):
    """The actor on the other side of a follow."""

    actor_uri: str = Field(description="ActivityPub id of the actor.")
    handle: str = Field(description="`@user@domain` (the domain with its port, if any).")
    name: str
    since: datetime = Field(description="When the follow was made or asked for.")


class RelationPage(BaseModel):
    """One page of followers, followed actors or follow requests, oldest first."""

    items: list[RelationOut]
    next: str | None = Field(description="URL of the next page; null on the last page.")


def relation_out(actor: Actor, since: datetime, uris: NodeUris) -> RelationOut:
    return RelationOut(
        actor_uri=actor.uri,
        handle=handle_of(actor, uris.domain),
        name=actor.name,
        since=since,
    )


_DESCRIBED = {
    400: "Not a handle or actor URL, or an actor following itself.",
    401: "Missing or invalid token (send `Authorization: Bearer <token>`).",
    403: "The target's domain is blocked by this node, or the token may not act for this "
    "actor (not the member, not a coordinator of the project, not an admin).",
    404: "No such local actor, remote actor, follow or follow request.",
    410: "The local actor was deleted.",
    422: "Invalid input; `error` names the field.",
    502: "The target's server could not be reached or answered badly; try again later.",
}


def follow_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422."""
    return {s: {"model": ErrorOut, "description": _DESCRIBED[s]} for s in sorted({*statuses, 422})}
