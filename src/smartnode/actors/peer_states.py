"""Where the two follows between our node actor and a peer's stand, as `smartnode peer list`
shows them: one state per direction, when it last changed, and the last error. Every change is
logged in one line. Services never commit."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.storage.models import Actor, Peer

log = logging.getLogger("smartnode.peers")

#: ours → theirs (our node actor's Follow of the peer's): pending, accepted, refused,
#: unreachable; theirs → ours: not asked or accepted (we accept every trusted peer at once).
PENDING: Final = "pending"
ACCEPTED: Final = "accepted"
REFUSED: Final = "refused"
UNREACHABLE: Final = "unreachable"
NOT_ASKED: Final = "not asked"
ERROR_CHARS = 500
NODE_KIND = "node"


async def peer_of_actor(session: AsyncSession, actor_uri: str) -> Peer | None:
    """The trusted peer whose node actor this is, or None."""
    return await session.scalar(select(Peer).where(Peer.actor_uri == actor_uri))


def note_ours(peer: Peer, state: str, now: datetime, why: str = "") -> None:
    """Our node actor's follow of the peer's changed state (logged when it did)."""
    if peer.ours_state == state:
        return
    log.info(
        "peer %s: our follow of its node actor %s -> %s%s",
        peer.host, peer.ours_state, state, f" ({why})" if why else "",
    )  # fmt: skip
    peer.ours_state, peer.ours_changed_at = state, now


def note_theirs(peer: Peer, state: str, now: datetime, why: str = "") -> None:
    """The peer's follow of our node actor changed state (logged when it did)."""
    if peer.theirs_state == state:
        return
    log.info(
        "peer %s: its follow of our node actor %s -> %s%s",
        peer.host, peer.theirs_state, state, f" ({why})" if why else "",
    )  # fmt: skip
    peer.theirs_state, peer.theirs_changed_at = state, now


def note_error(peer: Peer, error: str, now: datetime) -> None:
    """Remember the last thing that went wrong with this peer (logged when it is new)."""
    error = error[:ERROR_CHARS]
    if peer.last_error != error:
        log.info("peer %s: %s", peer.host, error)
    peer.last_error, peer.last_error_at = error, now


async def their_follow_ended(
    session: AsyncSession, follower_uri: str, followed_id: int, now: datetime
) -> None:
    """A peer's node actor stopped following ours (Undo): its side is `not asked` again."""
    followed = await session.get(Actor, followed_id)
    if followed is None or not followed.local or followed.kind != NODE_KIND:
        return
    peer = await peer_of_actor(session, follower_uri)
    if peer is not None:
        note_theirs(peer, NOT_ASKED, now, "it sent Undo{Follow}")
