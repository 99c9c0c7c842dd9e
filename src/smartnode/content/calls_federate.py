"""How our calls federate: Create/Update addressed as the call (Updates and Deletes also to the
peer nodes that follow the node actor), the node actor's Announce of a public call, Add/Remove
on the project's `featured` collection, and that collection itself. Services never commit.

Interop: Mastodon pins a remote status on `Add{object: status, target: <featured>}` by the
account and unpins on `Remove`; it also reads `featured` (embedded Notes or ids) when it
refreshes an account.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.node import get_node_actor
from smartnode.content.call_terms import open_calls
from smartnode.content.calls_to_ap import CALL_CONTEXT, call_to_ap
from smartnode.content.inputs import Visibility
from smartnode.content.lifecycle import publish_change
from smartnode.content.terms import CALL
from smartnode.errors import NotFound
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import AS_CONTEXT, PUBLIC
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor, ContentObject, Follow

log = logging.getLogger(__name__)


async def call_author(session: AsyncSession, obj: ContentObject) -> Actor:
    project = await session.get(Actor, obj.actor_id)
    if project is None:
        raise NotFound("the project of this call no longer exists")
    return project


def with_peers(cc: list[str], more: list[str]) -> list[str]:
    return list(dict.fromkeys([*cc, *more]))


async def peer_nodes(session: AsyncSession, obj: ContentObject) -> list[str]:
    """The remote followers of the node actor (the peer nodes) when the call is public: they
    were told of the call by the node's Announce, so they are told of its changes too."""
    if obj.visibility != Visibility.PUBLIC.value:
        return []
    node = await get_node_actor(session)
    if node is None:
        return []
    rows = await session.scalars(
        select(Actor.uri)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.followed_id == node.id,
            Follow.state == "accepted",
            Actor.local.is_(False),
            Actor.deleted_at.is_(None),
        )
        .order_by(Follow.id)
    )
    return list(rows.all())


async def publish_call(
    session: AsyncSession,
    uris: NodeUris,
    project: Actor,
    obj: ContentObject,
    activity_type: str,
    now: datetime,
) -> Activity:
    """Create or Update of a call, addressed as the call is (Updates also to the peers)."""
    peers = [] if activity_type == "Create" else await peer_nodes(session, obj)
    return await publish_change(
        session, uris, project, obj, activity_type, now, context=CALL_CONTEXT, also=peers
    )


async def node_announce(
    session: AsyncSession, uris: NodeUris, project: Actor, obj: ContentObject, now: datetime
) -> None:
    """The node actor announces a public call to its followers (the peer nodes)."""
    node = await get_node_actor(session)
    if node is None:
        return
    followers = NodeUris.collection(node.uri, "followers")
    await publish(
        session, uris, node, "Announce", obj=obj.uri, to=[PUBLIC], cc=[followers, project.uri],
        now=now,
    )  # fmt: skip


async def featured_calls(
    session: AsyncSession, actor: Actor, uri: str, now: datetime
) -> dict[str, Any]:
    """The actor's `featured` collection: its open, public calls as embedded Notes (Mastodon
    shows them as pinned posts), newest first."""
    rows = await session.scalars(
        select(ContentObject)
        .where(
            ContentObject.actor_id == actor.id,
            ContentObject.local.is_(True),
            ContentObject.kind == CALL,
            open_calls(now),
            ContentObject.deleted_at.is_(None),
            ContentObject.visibility == Visibility.PUBLIC.value,
        )
        .order_by(ContentObject.id.desc())
        .limit(20)
    )
    items = [call_to_ap(obj, actor.uri, context=False) for obj in rows.all()]
    return {
        "@context": CALL_CONTEXT if items else AS_CONTEXT,  # as before calls, when empty
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }


async def pin(
    session: AsyncSession,
    uris: NodeUris,
    project: Actor,
    obj: ContentObject,
    activity_type: str,
    now: datetime,
) -> None:
    """Add (pin) or Remove (unpin) a public call on the project's featured collection."""
    if obj.visibility != Visibility.PUBLIC.value:
        return
    await publish(
        session, uris, project, activity_type, obj=obj.uri, to=[PUBLIC],
        cc=[NodeUris.collection(project.uri, "followers")], now=now,
        extra={"target": NodeUris.collection(project.uri, "featured")},
    )  # fmt: skip
