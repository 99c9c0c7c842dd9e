"""Peering between national nodes: our node actor's Follow of a trusted peer's node actor and
the peer's Follow of ours, whichever operator acts first. Services never commit.

- Adding a peer accepts its node actor's Follow when one waits here (it came before we trusted
  the peer), and (re)starts the job that follows its node actor (peer_follow_job.py).
- The peer's Follow arriving while ours is not accepted makes that job try again at once: the
  other operator has just added us.
- The peer's Accept makes ours accepted and starts a back-fill of its board (backfill.py);
  its Reject makes ours refused until an operator adds the peer again.

Interop: a re-sent Follow is a new activity (a new id), as Mastodon's repeated follows are;
Mastodon, like our inbox (handlers/follow.py), then updates the id of the request it keeps,
or answers an accepted follow with a new Accept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import follow_to_ap
from smartnode.actors.peer_states import (
    ACCEPTED,
    PENDING,
    REFUSED,
    note_ours,
    note_theirs,
    peer_of_actor,
)
from smartnode.actors.remote import get_remote_actor
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.outbox.publish import publish
from smartnode.storage.models import Actor, Follow, InboxMessage, Job, Peer

#: The job that makes our node actor follow a peer's (sent, re-sent, waited out).
FOLLOW_PEER = "follow_peer"
#: The job that reads a peer's board once it accepted our follow.
BACKFILL_PEER = "backfill_peer"
_NOT_EMBEDDED = ("@context", "signature")


async def follow_pair(session: AsyncSession, follower_id: int, followed_id: int) -> Follow | None:
    return await session.scalar(
        select(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )


async def _pending_jobs(session: AsyncSession, kind: str, actor_uri: str) -> list[Job]:
    jobs = await session.scalars(select(Job).where(Job.kind == kind, Job.state == "pending"))
    return [job for job in jobs.all() if job.payload.get("actor_uri") == actor_uri]


async def schedule_job(session: AsyncSession, kind: str, actor_uri: str, now: datetime) -> None:
    """Make this peer's job of `kind` due now, counting its attempts from zero (one per peer)."""
    waiting = await _pending_jobs(session, kind, actor_uri)
    for job in waiting:
        job.run_at, job.attempts, job.last_error = now, 0, None
    if not waiting:
        session.add(
            Job(kind=kind, payload={"actor_uri": actor_uri}, state="pending", run_at=now,
                attempts=0, created_at=now)
        )  # fmt: skip
    await session.flush()


async def send_our_follow(
    session: AsyncSession, uris: NodeUris, node: Actor, their: Actor, now: datetime
) -> Follow:
    """Our node actor's Follow of a peer's, sent anew; a pending follow takes the new id."""
    sent = await publish(session, uris, node, "Follow", obj=their.uri, to=[their.uri], now=now)
    row = await follow_pair(session, node.id, their.id)
    if row is None:
        row = Follow(follower_id=node.id, followed_id=their.id, state=PENDING, created_at=now)
        session.add(row)
    row.uri = sent.uri
    await session.flush()
    return row


async def _their_follow_document(
    session: AsyncSession, row: Follow, their: Actor, node: Actor
) -> dict[str, Any]:
    """The peer's Follow as it reached us (for our Accept to embed), or rebuilt from the row."""
    body = await session.scalar(
        select(InboxMessage.body)
        .where(InboxMessage.activity_uri == row.uri, InboxMessage.activity_type == "Follow")
        .limit(1)
    )
    if isinstance(body, dict) and body.get("actor") == their.uri:
        return {key: value for key, value in body.items() if key not in _NOT_EMBEDDED}
    return follow_to_ap(row.uri or "", their.uri, node.uri)


async def accept_waiting_follow(
    session: AsyncSession, uris: NodeUris, node: Actor, peer: Peer, now: datetime
) -> bool:
    """Accept the peer's Follow of our node actor that waited until we trusted the peer
    (Accept embedding that Follow, as Mastodon expects); False when none waits."""
    their = await get_remote_actor(session, peer.actor_uri)
    row = await follow_pair(session, their.id, node.id) if their is not None else None
    if their is None or row is None:
        return False
    if row.state == ACCEPTED:
        note_theirs(peer, ACCEPTED, now)
        return False
    row.state = ACCEPTED
    follow_doc = await _their_follow_document(session, row, their, node)
    await publish(session, uris, node, "Accept", obj=follow_doc, to=[their.uri], now=now)
    note_theirs(peer, ACCEPTED, now, "its Follow waited for us to trust it")
    await session.flush()
    return True


async def _peer_follow(session: AsyncSession, follow: Follow) -> tuple[Peer, Actor] | None:
    """(peer, our node actor) when `follow` is our node actor's follow of a trusted peer's."""
    follower = await session.get(Actor, follow.follower_id)
    followed = await session.get(Actor, follow.followed_id)
    if follower is None or followed is None or follower.kind != ActorKind.NODE.value:
        return None
    if not follower.local or followed.local:
        return None
    peer = await peer_of_actor(session, followed.uri)
    return (peer, follower) if peer is not None else None


async def our_follow_accepted(session: AsyncSession, follow: Follow, now: datetime) -> None:
    """The peer accepted our node actor's Follow: note it and back-fill its board."""
    found = await _peer_follow(session, follow)
    if found is None:
        return
    peer, _ = found
    note_ours(peer, ACCEPTED, now, "it sent Accept")
    await schedule_job(session, BACKFILL_PEER, peer.actor_uri, now)


async def our_follow_refused(session: AsyncSession, follow: Follow, now: datetime) -> None:
    """The peer refused (or removed) our node actor's follow: refused until added again."""
    found = await _peer_follow(session, follow)
    if found is not None:
        note_ours(found[0], REFUSED, now, "it sent Reject")


async def restart_our_follow(session: AsyncSession, peer: Peer, now: datetime, why: str) -> None:
    """Ask again: a refused follow is pending once more and the follow job runs now."""
    if peer.ours_state == REFUSED:
        note_ours(peer, PENDING, now, why)
    await schedule_job(session, FOLLOW_PEER, peer.actor_uri, now)


async def their_follow_accepted(
    session: AsyncSession, follower: Actor, now: datetime, *, new: bool
) -> None:
    """A trusted peer's node actor follows ours (accepted). A new follow while ours is not
    accepted means its operator just added us: our follow job tries again at once."""
    peer = await peer_of_actor(session, follower.uri)
    if peer is None:
        return
    note_theirs(peer, ACCEPTED, now, "it sent Follow")
    if new and peer.ours_state != ACCEPTED:
        await restart_our_follow(session, peer, now, "it follows us anew")
