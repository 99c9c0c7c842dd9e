"""Follow services for our own actors: follow, unfollow, and answer follow requests.

A local target is followed at once (pending when it approves followers by hand), with no
HTTP. A remote target is resolved and stored, and our Follow is published to it; the row
stays pending until that actor's Accept (inbox/handlers/accept.py). Every activity we send
goes through the transactional outbox; services never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartnode.actors.blocks import host_of, is_blocked
from smartnode.actors.hiding import blocked_either_way
from smartnode.actors.resolve import ActorResolver
from smartnode.errors import BadRequest, Forbidden, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.federation.webfinger_client import parse_handle
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor, DomainBlock, Follow

PENDING = "pending"
ACCEPTED = "accepted"


def follow_to_ap(follow_uri: str, follower_uri: str, followed_uri: str) -> dict[str, Any]:
    """A Follow as embedded in our Accept/Reject/Undo (Mastodon matches on its id)."""
    return {"id": follow_uri, "type": "Follow", "actor": follower_uri, "object": followed_uri}


def _check_local(actor: Actor) -> None:
    if not actor.local or actor.deleted_at is not None:
        raise BadRequest("only a live actor of this node can follow or answer follows")


async def _refuse_blocked(session: AsyncSession, host: str) -> None:
    blocked = set((await session.scalars(select(DomainBlock.domain))).all())
    if is_blocked(host.split(":")[0], blocked):
        raise Forbidden(f"{host} is a blocked domain")


async def _target(
    session: AsyncSession, uris: NodeUris, target: str, resolver: ActorResolver
) -> Actor:
    """The actor `target` names: an actor id, or a handle (`@user@host`, `acct:user@host`)."""
    if "://" in target:
        if not uris.is_local(target):
            await _refuse_blocked(session, host_of(target))
        found = await resolver.actor(target)
    else:
        await _refuse_blocked(session, parse_handle(target).host)
        found = await resolver.account(target)
    if found is None:
        raise NotFound(f"no actor found for {target!r}")
    return found


async def _pair(session: AsyncSession, follower_id: int, followed_id: int) -> Follow | None:
    return await session.scalar(
        select(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )


async def follow(
    session: AsyncSession,
    uris: NodeUris,
    follower: Actor,
    target_uri: str,
    resolver: ActorResolver,
    now: datetime,
) -> Follow:
    """`follower` (local) follows the actor `target_uri` names; an existing follow is returned."""
    _check_local(follower)
    target = await _target(session, uris, target_uri, resolver)
    if target.id == follower.id:
        raise BadRequest("an actor cannot follow itself")
    if await blocked_either_way(session, follower.id, target.id):
        raise Forbidden("This action is not allowed")  # Mastodon's words: one blocks the other
    existing = await _pair(session, follower.id, target.id)
    if existing is not None:
        return existing
    if target.local:
        state = PENDING if target.manually_approves_followers else ACCEPTED
        row = Follow(follower_id=follower.id, followed_id=target.id, state=state, created_at=now)
    else:
        sent = await publish(
            session, uris, follower, "Follow", obj=target.uri, to=[target.uri], now=now
        )
        row = Follow(
            uri=sent.uri,
            follower_id=follower.id,
            followed_id=target.id,
            state=PENDING,
            created_at=now,
        )
    session.add(row)
    await session.flush()
    return row


async def _sent_follow(
    session: AsyncSession, follow_uri: str, follower: Actor, target: Actor
) -> dict[str, Any]:
    """Our original Follow as we published it (or rebuilt from the row when not kept)."""
    sent = await session.scalar(select(Activity).where(Activity.uri == follow_uri))
    if sent is not None and sent.activity_type == "Follow":
        return {key: value for key, value in sent.document.items() if key != "@context"}
    return follow_to_ap(follow_uri, follower.uri, target.uri)


async def unfollow(
    session: AsyncSession, uris: NodeUris, follower: Actor, target_uri: str, now: datetime
) -> bool:
    """Stop following or withdraw a request; a remote target gets Undo(Follow). False if none."""
    _check_local(follower)
    target = await session.scalar(select(Actor).where(Actor.uri == target_uri))
    row = await _pair(session, follower.id, target.id) if target is not None else None
    if target is None or row is None:
        return False
    if not target.local and row.uri is not None:
        original = await _sent_follow(session, row.uri, follower, target)
        await publish(session, uris, follower, "Undo", obj=original, to=[target.uri], now=now)
    await session.delete(row)
    await session.flush()
    return True


async def _request(
    session: AsyncSession, followed: Actor, follower_uri: str
) -> tuple[Follow, Actor]:
    """The pending follow of `followed` by `follower_uri`, and the follower; NotFound if none."""
    _check_local(followed)
    follower = aliased(Actor)
    found = (
        await session.execute(
            select(Follow, follower)
            .join(follower, Follow.follower_id == follower.id)
            .where(
                Follow.followed_id == followed.id,
                Follow.state == PENDING,
                follower.uri == follower_uri,
            )
        )
    ).first()
    if found is None:
        raise NotFound(f"no pending follow request from {follower_uri}")
    return found[0], found[1]


async def _answer(
    session: AsyncSession, uris: NodeUris, followed: Actor, row: Follow, follower: Actor,
    answer: str, now: datetime,
) -> None:  # fmt: skip
    if follower.local or row.uri is None:
        return
    follow_doc = follow_to_ap(row.uri, follower.uri, followed.uri)
    await publish(session, uris, followed, answer, obj=follow_doc, to=[follower.uri], now=now)


async def accept_follow_request(
    session: AsyncSession, uris: NodeUris, followed: Actor, follower_uri: str, now: datetime
) -> Follow:
    """Approve a pending follower of a local actor; a remote follower gets our Accept."""
    row, follower = await _request(session, followed, follower_uri)
    row.state = ACCEPTED
    await _answer(session, uris, followed, row, follower, "Accept", now)
    await session.flush()
    return row


async def reject_follow_request(
    session: AsyncSession, uris: NodeUris, followed: Actor, follower_uri: str, now: datetime
) -> None:
    """Refuse a pending follower of a local actor; a remote follower gets our Reject."""
    row, follower = await _request(session, followed, follower_uri)
    await _answer(session, uris, followed, row, follower, "Reject", now)
    await session.delete(row)
    await session.flush()
