"""Trusted peer nodes of the federation, as the operator adds, lists and removes them (the CLI,
SMARTNODE_TRUSTED_PEERS, the demo). How the follows between the node actors then go is in
peering.py and peer_follow_job.py. Services never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import follow_to_ap, unfollow
from smartnode.actors.node import get_node_actor
from smartnode.actors.peer_states import ACCEPTED, PENDING, log, note_ours
from smartnode.actors.peering import (
    FOLLOW_PEER,
    accept_waiting_follow,
    follow_pair,
    restart_our_follow,
    send_our_follow,
)
from smartnode.actors.remote import get_remote_actor
from smartnode.errors import ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import publish
from smartnode.storage.models import Actor, Follow, Peer

__all__ = [
    "FOLLOW_PEER",
    "add_peer",
    "end_peer_follows",
    "list_peers",
    "peer_actor_uri",
    "peering_progress",
    "remove_peer",
    "sync_config_peers",
]


def peer_actor_uri(base_url: str) -> str:
    """The node actor of a peer node (every smartnode serves it at /actor)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValidationFailed(f"{base_url!r} is not a node's base URL like https://be.smart.coop")
    return f"{parts.scheme}://{parts.netloc.lower()}/actor"


async def add_peer(
    session: AsyncSession, base_url: str, now: datetime, *, uris: NodeUris | None = None
) -> Peer:
    """Trust a peer node (idempotent) and (re)start our node actor's follow of its.

    With `uris` (the CLI, the demo) it also acts at once: the peer's Follow that waited for
    our trust is accepted, and our Follow still unanswered is sent again; without (config
    peers at start-up) the follow job does the first and simply runs again."""
    actor_uri = peer_actor_uri(base_url)
    if uris is not None and actor_uri == uris.node_actor:
        raise ValidationFailed(f"{base_url} is this node itself")
    host = urlsplit(actor_uri).netloc  # with the port: demo nodes share 127.0.0.1
    peer = await session.get(Peer, host)
    if peer is None:
        peer = Peer(host=host, actor_uri=actor_uri, created_at=now, ours_state=PENDING,
                    ours_changed_at=now, theirs_state="not asked")  # fmt: skip
        session.add(peer)
        log.info("peer %s: trusted; our node actor will follow %s", host, actor_uri)
    peer.actor_uri = actor_uri
    await session.flush()
    if uris is not None:
        await _act_now(session, uris, peer, now)
    await restart_our_follow(session, peer, now, "the operator added the peer again")
    return peer


async def _act_now(session: AsyncSession, uris: NodeUris, peer: Peer, now: datetime) -> None:
    """Accept the peer's waiting Follow; send ours again when it is still unanswered."""
    node = await get_node_actor(session)
    their = await get_remote_actor(session, peer.actor_uri)
    if node is None or their is None:
        return
    await accept_waiting_follow(session, uris, node, peer, now)
    ours = await follow_pair(session, node.id, their.id)
    if ours is not None and ours.state != ACCEPTED:
        await send_our_follow(session, uris, node, their, now)
        note_ours(peer, PENDING, now, "Follow sent again on peer add")


async def remove_peer(session: AsyncSession, host: str, uris: NodeUris, now: datetime) -> bool:
    """Stop trusting a peer node and end the follows between our node actor and the peer's;
    False if it was not a peer."""
    peer = await session.get(Peer, host.strip().lower())
    if peer is None:
        return False
    await end_peer_follows(session, uris, peer.actor_uri, now)
    await session.execute(delete(Peer).where(Peer.host == peer.host))
    log.info("peer %s: no longer trusted; follows ended both ways", peer.host)
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


async def peering_progress(session: AsyncSession) -> tuple[int, int, int]:
    """(peers, peers that accepted our node actor's Follow, peers whose board we back-filled)."""
    peers = await list_peers(session)
    accepted = [peer for peer in peers if peer.ours_state == ACCEPTED]
    return len(peers), len(accepted), sum(1 for peer in accepted if peer.backfilled_at)


async def sync_config_peers(session: AsyncSession, base_urls: list[str], now: datetime) -> None:
    """Make sure every peer named in SMARTNODE_TRUSTED_PEERS is trusted."""
    for base_url in base_urls:
        await add_peer(session, base_url, now)
