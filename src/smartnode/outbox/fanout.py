"""Stage two of fan-out: expand one activity into one delivery row per remote inbox.

Shared inboxes are preferred and deduplicated (cost grows with hosts, not followers); our own
host, blocked domains and hosts marked unavailable get nothing; pending follows get nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.blocks import host_of as host_of  # re-exported for older imports
from smartnode.actors.blocks import is_blocked as is_blocked
from smartnode.federation.signatures_core import authority_of
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import audience
from smartnode.storage.in_lists import few_lengths
from smartnode.storage.models import (
    Activity,
    Actor,
    DeadInbox,
    Delivery,
    DomainBlock,
    Follow,
    Host,
    table,
)
from smartnode.storage.upsert import insert_ignoring_conflicts

BATCH = 500


def delivery_host(uri: str) -> str:
    """host[:port] of an inbox: deliveries, breakers and availability are kept per server.

    Two servers on one host name with different ports (a local demo network) stay apart.
    """
    try:
        return authority_of(uri)
    except ValueError:
        return ""


async def _follower_inboxes(session: AsyncSession, actor_id: int) -> list[str]:
    rows = await session.execute(
        select(Actor.shared_inbox_uri, Actor.inbox_uri)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.followed_id == actor_id,
            Follow.state == "accepted",
            Actor.local.is_(False),
            Actor.deleted_at.is_(None),
        )
    )
    return [inbox for inbox in (shared or plain for shared, plain in rows.all()) if inbox]


async def _addressed_inboxes(session: AsyncSession, iris: list[str]) -> list[str]:
    if not iris:
        return []
    rows = await session.execute(
        select(Actor.shared_inbox_uri, Actor.inbox_uri).where(
            Actor.uri.in_(few_lengths(iris)), Actor.local.is_(False), Actor.deleted_at.is_(None)
        )
    )
    return [inbox for inbox in (shared or plain for shared, plain in rows.all()) if inbox]


async def target_inboxes(
    session: AsyncSession, uris: NodeUris, activity: Activity, sender: Actor
) -> list[str]:
    """The deduplicated remote inboxes an activity must reach."""
    iris = audience(activity.document)
    inboxes: list[str] = []
    if NodeUris.collection(sender.uri, "followers") in iris:
        inboxes += await _follower_inboxes(session, sender.id)
    inboxes += await _addressed_inboxes(session, [i for i in iris if not uris.is_local(i)])
    blocked = set((await session.scalars(select(DomainBlock.domain))).all())
    dead = set((await session.scalars(select(Host.host).where(Host.unavailable.is_(True)))).all())
    gone = (
        set(
            (
                await session.scalars(
                    select(DeadInbox.inbox_uri).where(DeadInbox.inbox_uri.in_(few_lengths(inboxes)))
                )
            ).all()
        )
        if inboxes
        else set()
    )
    kept: dict[str, None] = {}
    for inbox in inboxes:
        host = host_of(inbox)
        # Our origin is host AND port: another node on this host with another port is remote.
        if not host or uris.is_local(inbox) or is_blocked(host, blocked) or inbox in gone:
            continue
        if delivery_host(inbox) not in dead:
            kept[inbox] = None
    return list(kept)


async def expand(session: AsyncSession, uris: NodeUris, activity_id: int, now: datetime) -> int:
    """Create the delivery rows of one activity (idempotent); returns how many were new."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        return 0
    sender = await session.get(Actor, activity.actor_id)
    if sender is None or (sender.deleted_at is not None and activity.activity_type != "Delete"):
        return 0
    inboxes = await target_inboxes(session, uris, activity, sender)
    created = 0
    for start in range(0, len(inboxes), BATCH):
        rows = [
            {"activity_id": activity.id, "inbox_uri": inbox, "host": delivery_host(inbox),
             "state": "pending", "run_at": now, "attempts": 0, "created_at": now}
            for inbox in inboxes[start : start + BATCH]
        ]  # fmt: skip
        created += await insert_ignoring_conflicts(session, table(Delivery), rows)
    return created
