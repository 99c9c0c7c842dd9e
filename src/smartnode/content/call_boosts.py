"""Boosts of calls that end with them: when one of our calls is closed, filled or deleted, every
Announce of it that one of our actors published (the node actor's to the peers, each topic
feed's to its followers) is undone, once. Topic feeds undo their boosts of any call, ours or
another node's, through `undo_boost` (matching/feeds.refresh_call_feeds). Services never commit.

Interop: Mastodon removes a boost on Undo{Announce} by the booster; it finds the boost by the
Announce's id (`object.id`), so the Announce is embedded as it was sent ({id, type, actor,
object}, as in our Undo{Follow}). The Undo is addressed as the Announce was, so the fan-out
reaches the same inboxes (the followers collections are expanded again when it goes out).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor, ContentObject

#: The local actors whose Announces of a call are boosts to undo.
BOOSTERS = (ActorKind.NODE.value, ActorKind.FEED.value)


def announce_to_ap(sent: dict[str, Any]) -> dict[str, Any]:
    """An Announce as embedded in our Undo: its id, type, actor and object (pure)."""
    return {key: sent[key] for key in ("id", "type", "actor", "object") if key in sent}


async def live_boosts(
    session: AsyncSession, call_uri: str, kinds: tuple[str, ...] = BOOSTERS
) -> list[tuple[Activity, Actor]]:
    """Our live boosters' (of those kinds) Announces of the call that no Undo took back yet."""
    undone = select(Activity.object_uri).where(
        Activity.activity_type == "Undo", Activity.object_uri.is_not(None)
    )
    rows = await session.execute(
        select(Activity, Actor)
        .join(Actor, Actor.id == Activity.actor_id)
        .where(
            Activity.activity_type == "Announce",
            Activity.object_uri == call_uri,
            Activity.uri.not_in(undone),
            Actor.local.is_(True),
            Actor.kind.in_(kinds),
            Actor.deleted_at.is_(None),
        )
        .order_by(Activity.id)
    )
    return [(activity, actor) for activity, actor in rows.all()]


async def undo_call_boosts(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> int:
    """Undo each Announce of our call `obj` by the node actor or a feed (idempotent); how many
    Undos were published."""
    if not obj.local:
        return 0
    boosts = await live_boosts(session, obj.uri)
    for announce, booster in boosts:
        await undo_boost(session, uris, announce, booster, now)
    return len(boosts)


async def undo_boost(
    session: AsyncSession, uris: NodeUris, announce: Activity, booster: Actor, now: datetime
) -> Activity:
    """Publish the booster's Undo of one of its Announces, addressed as the Announce was."""
    sent = announce.document
    cc = sent.get("cc")
    return await publish(
        session, uris, booster, "Undo", obj=announce_to_ap(sent),
        to=list(sent.get("to") or []), cc=list(cc) if isinstance(cc, list) else None, now=now,
    )  # fmt: skip
