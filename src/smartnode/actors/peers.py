"""Trusted peer nodes of the federation: listed in config or added by the operator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import follow, follow_to_ap, unfollow
from smartnode.actors.node import get_node_actor
from smartnode.actors.resolve import ActorResolver
from smartnode.errors import ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import publish
from smartnode.storage.models import Actor, Follow, Job, Peer

#: The job that makes our node actor follow a peer's (retried while the peer is unreachable).
FOLLOW_PEER = "follow_peer"


def peer_actor_uri(base_url: str) -> str:
    """The node actor of a peer node (every smartnode serves it at /actor)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValidationFailed(f"{base_url!r} is not a node's base URL like https://be.smart.coop")
    return f"{parts.scheme}://{parts.netloc.lower()}/actor"


async def add_peer(session: AsyncSession, base_url: str, now: datetime) -> Peer:
    """Trust a peer node (idempotent); our node actor will follow the peer's."""
    actor_uri = peer_actor_uri(base_url)
    host = urlsplit(actor_uri).netloc  # with the port: demo nodes share 127.0.0.1
    peer = await session.get(Peer, host)
    if peer is None:
        peer = Peer(host=host, actor_uri=actor_uri, created_at=now)
        session.add(peer)
        session.add(
            Job(kind=FOLLOW_PEER, payload={"actor_uri": actor_uri}, state="pending", run_at=now,
                attempts=0, created_at=now)
        )  # fmt: skip
    else:
        peer.actor_uri = actor_uri
    await session.flush()
    return peer


async def follow_peer(
    session: AsyncSession, uris: NodeUris, resolver: ActorResolver, actor_uri: str, now: datetime
) -> None:
    """Our node actor follows a trusted peer's node actor (a FetchError means: try later)."""
    peer = await session.scalar(select(Peer).where(Peer.actor_uri == actor_uri))
    node = await get_node_actor(session)
    if peer is None or node is None:
        return  # no longer trusted, or a node without its actor yet: nothing to do
    await follow(session, uris, node, actor_uri, resolver, now)


async def remove_peer(session: AsyncSession, host: str, uris: NodeUris, now: datetime) -> bool:
    """Stop trusting a peer node and end the follows between our node actor and the peer's;
    False if it was not a peer."""
    peer = await session.get(Peer, host.strip().lower())
    if peer is None:
        return False
    await end_peer_follows(session, uris, peer.actor_uri, now)
    await session.execute(delete(Peer).where(Peer.host == peer.host))
    return True


async def end_peer_follows(
    session: AsyncSession, uris: NodeUris, actor_uri: str, now: datetime
) -> None:
    """Our node actor unfollows the peer's (Undo{Follow}) and drops the peer's follow of it,
    sending Reject{Follow}.

    Interop: Mastodon's "remove follower" is Reject{Follow} with the Follow embedded; it (and
    our inbox, handlers/reject.py) drops an accepted follow on it, not only a pending one."""
    node = await get_node_actor(session)
    if node is None:
        return
    await unfollow(session, uris, node, actor_uri, now)
    their = await session.scalar(
        select(Follow)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == node.id, Actor.uri == actor_uri, Actor.local.is_(False))
    )
    if their is None:
        return
    if their.uri is not None:
        follow_doc = follow_to_ap(their.uri, actor_uri, node.uri)
        await publish(session, uris, node, "Reject", obj=follow_doc, to=[actor_uri], now=now)
    await session.delete(their)
    await session.flush()


async def list_peers(session: AsyncSession) -> Sequence[Peer]:
    return (await session.scalars(select(Peer).order_by(Peer.host))).all()


async def sync_config_peers(session: AsyncSession, base_urls: list[str], now: datetime) -> None:
    """Make sure every peer named in SMARTNODE_TRUSTED_PEERS is trusted."""
    for base_url in base_urls:
        await add_peer(session, base_url, now)
