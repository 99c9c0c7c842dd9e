"""Route a stored, verified inbox message to the handler of its activity type.

Checks common to every type run first: a well-formed body whose `actor` is the actor the edge
bound, no activity claiming one of our ids or actors, no IRI on a blocked domain (subdomains
included), no activity whose id was deleted before it arrived. Unknown types are ignored with
a reason; a handler's exception propagates so the worker retries the message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from smartnode.actors.blocks import host_of, is_blocked
from smartnode.federation.vocab import as_list, id_of
from smartnode.inbox.context import (
    Handler,
    InboxContext,
    Incoming,
    Outcome,
    deletion_marker,
    ignored,
    processed,
)
from smartnode.inbox.handlers import (
    accept,
    announce,
    block,
    create,
    delete,
    follow,
    like,
    move,
    offer,
    participation,
    reject,
    team,
    undo,
    update,
)
from smartnode.storage.models import DomainBlock, InboxMessage

__all__ = ["HANDLERS", "InboxContext", "Outcome", "dispatch", "ignored", "processed"]

HANDLERS: dict[str, Handler] = {
    "Follow": follow.on_follow,
    "Accept": accept.on_accept,
    "Reject": reject.on_reject,
    "Undo": undo.on_undo,
    "Block": block.on_block,
    "Update": update.on_update,
    "Delete": delete.on_delete,
    "Move": move.on_move,
    "Create": create.on_create,
    "Like": like.on_like,
    "Announce": announce.on_announce,
    "Offer": offer.on_offer,
    "TentativeAccept": offer.on_tentative_accept,
    "Join": participation.on_join,
    "Invite": team.on_invite,
    "Leave": participation.on_leave,
    "Add": team.on_add,
    "Remove": team.on_remove,
}

#: Properties whose IRIs (at the top level and inside an embedded object) are checked for blocks.
LINKED = ("id", "actor", "object", "target", "origin", "attributedTo", "inReplyTo", "instrument")


def _is_http(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def linked_iris(body: dict[str, Any], depth: int = 0) -> list[str]:
    """IRIs of the activity and of what it links to, one embedded level down."""
    found: list[str] = []
    for key in LINKED:
        for item in as_list(body.get(key)):
            iri = id_of(item)
            if iri:
                found.append(iri)
            if isinstance(item, dict) and key != "id" and depth < 1:
                found += linked_iris(item, depth + 1)
    return found


def named_ids(body: Any) -> set[str]:
    """Every id an activity names that a handler may look up: what it links to, whom it and
    its object address (a followers collection as its owner) and whom the object mentions."""
    if not isinstance(body, dict):
        return set()
    found = set(linked_iris(body))
    obj = body.get("object")
    for part in (body, obj) if isinstance(obj, dict) else (body,):
        for key in ("to", "cc"):
            found.update(
                i.removesuffix("/followers") for i in map(id_of, as_list(part.get(key))) if i
            )
        tags = [tag for tag in as_list(part.get("tag")) if isinstance(tag, dict)]
        found.update(href for tag in tags if isinstance(href := tag.get("href"), str))
    return found


def parse_message(message: InboxMessage) -> Incoming | str:
    """The activity of a message, or why it cannot be handled."""
    body = message.body
    if not isinstance(body, dict):
        return "the activity is not a JSON object"
    activity_type, activity_id = body.get("type"), body.get("id")
    if not isinstance(activity_type, str) or not activity_type:
        return "the activity has no type"
    if not _is_http(activity_id):
        return "the activity has no http(s) id"
    if id_of(body.get("actor")) != message.actor_uri:
        return "the activity's actor is not the actor who signed it"
    return Incoming(
        id=str(activity_id),
        type=activity_type,
        actor_uri=message.actor_uri,
        body=body,
        inbox=message.inbox,
    )


async def _refusal(ctx: InboxContext, incoming: Incoming) -> str | None:
    """Why an activity is refused before any handler runs, or None."""
    if ctx.uris.is_local(incoming.actor_uri) or ctx.uris.is_local(incoming.id):
        return "a remote activity claims one of our ids"
    blocked = ctx.blocked
    if blocked is None:
        blocked = frozenset((await ctx.session.scalars(select(DomainBlock.domain))).all())
    if blocked:
        for iri in linked_iris(incoming.body):
            if is_blocked(host_of(iri), blocked):
                return f"{host_of(iri)} is a blocked domain"
    marker = await deletion_marker(ctx, incoming.id)
    if marker is not None and marker.actor_uri == incoming.actor_uri:
        return "the activity was deleted before it arrived"
    return None


async def dispatch(ctx: InboxContext, message: InboxMessage) -> Outcome:
    """Apply one verified message in the caller's transaction; says processed or ignored."""
    incoming = parse_message(message)
    if isinstance(incoming, str):
        return ignored(incoming)
    refusal = await _refusal(ctx, incoming)
    if refusal is not None:
        return ignored(refusal)
    handler = HANDLERS.get(incoming.type)
    if handler is None:
        return ignored(f"{incoming.type} activities are not handled yet")
    return await handler(ctx, incoming)
