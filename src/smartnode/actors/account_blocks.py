"""A member blocks and unblocks accounts (here or on any server), and lists them; a remote
actor's Block of one of ours is kept the same way (their `blocked_by`). Services never commit.

As Mastodon's BlockService: blocking cuts the follows both ways first (our follow of a remote
actor is undone with Undo(Follow), theirs of us refused with Reject(Follow)), then a remote
account gets our Block, and later Undo(Block) when unblocked. Every activity goes through the
transactional outbox. Blocking needs `write:blocks`, listing `read:blocks` (or an umbrella).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.account_views import account_by_id
from smartnode.actors.acting import READ_BLOCKS, WRITE_BLOCKS, acting_member
from smartnode.actors.follows import follow_to_ap, unfollow
from smartnode.errors import ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import publish
from smartnode.storage.models import Actor, Follow
from smartnode.storage.models_blocks import AccountBlock
from smartnode.storage.windows import IdWindow, newest_first, windowed


@dataclass(frozen=True, slots=True)
class Pair:
    """The member who acts and the account acted on."""

    member: Actor
    target: Actor


def block_to_ap(block_uri: str, actor_uri: str, target_uri: str) -> dict[str, Any]:
    """A Block as embedded in our Undo (Mastodon finds the block by its id or the pair)."""
    return {"id": block_uri, "type": "Block", "actor": actor_uri, "object": target_uri}


async def _pair(session: AsyncSession, principal: Principal, target_id: int, scope: str) -> Pair:
    member = await acting_member(session, principal, scope)
    target = await account_by_id(session, target_id)
    if target.id == member.id:
        raise ValidationFailed("Validation failed: you cannot do this to yourself")
    return Pair(member, target)


async def _block_row(session: AsyncSession, actor_id: int, target_id: int) -> AccountBlock | None:
    return await session.scalar(
        select(AccountBlock).where(
            AccountBlock.actor_id == actor_id, AccountBlock.target_id == target_id
        )
    )


async def cut_follows(
    session: AsyncSession, uris: NodeUris, local: Actor, other: Actor, now: datetime
) -> None:
    """End the follows between a local actor and another, both ways: `local`'s follow is
    undone (Undo to a remote), `other`'s is refused (Reject to a remote)."""
    await unfollow(session, uris, local, other.uri, now)
    theirs = await session.scalar(
        select(Follow).where(Follow.follower_id == other.id, Follow.followed_id == local.id)
    )
    if theirs is None:
        return
    if not other.local and theirs.uri is not None:
        follow = follow_to_ap(theirs.uri, other.uri, local.uri)
        await publish(session, uris, local, "Reject", obj=follow, to=[other.uri], now=now)
    await session.delete(theirs)
    await session.flush()


async def block_as(
    session: AsyncSession, uris: NodeUris, principal: Principal, target_id: int, now: datetime
) -> Pair:
    """The acting member blocks an account (idempotent): follows cut, a remote one told."""
    pair = await _pair(session, principal, target_id, WRITE_BLOCKS)
    member, target = pair.member, pair.target
    if await _block_row(session, member.id, target.id) is not None:
        return pair
    await cut_follows(session, uris, member, target, now)
    row = AccountBlock(actor_id=member.id, target_id=target.id, created_at=now)
    if not target.local:
        sent = await publish(session, uris, member, "Block", obj=target.uri, to=[target.uri],
                             now=now)  # fmt: skip
        row.uri = sent.uri
    session.add(row)
    await session.flush()
    return pair


async def unblock_as(
    session: AsyncSession, uris: NodeUris, principal: Principal, target_id: int, now: datetime
) -> Pair:
    """The acting member unblocks an account (nothing when not blocked); a remote one gets
    Undo(Block)."""
    pair = await _pair(session, principal, target_id, WRITE_BLOCKS)
    row = await _block_row(session, pair.member.id, pair.target.id)
    if row is None:
        return pair
    if not pair.target.local and row.uri is not None:
        block = block_to_ap(row.uri, pair.member.uri, pair.target.uri)
        await publish(session, uris, pair.member, "Undo", obj=block, to=[pair.target.uri],
                      now=now)  # fmt: skip
    await session.delete(row)
    await session.flush()
    return pair


async def blocked_window(
    session: AsyncSession, principal: Principal, window: IdWindow
) -> list[tuple[int, Actor]]:
    """(block id, account) of the acting member's blocks in a window of block ids, newest
    first."""
    member = await acting_member(session, principal, READ_BLOCKS)
    query = (
        select(AccountBlock.id, Actor)
        .join(Actor, Actor.id == AccountBlock.target_id)
        .where(AccountBlock.actor_id == member.id, Actor.deleted_at.is_(None))
    )
    rows = (await session.execute(windowed(query, AccountBlock.id, window))).all()
    return newest_first([(block_id, actor) for block_id, actor in rows], window)


async def blocked_by_remote(
    session: AsyncSession, uris: NodeUris, blocker: Actor, target: Actor, uri: str,
    now: datetime,
) -> bool:  # fmt: skip
    """A remote actor's Block of a local one: the follows between them cut (as Mastodon does
    on a Block it receives), the block kept; False when it was kept already (its id renewed)."""
    row = await _block_row(session, blocker.id, target.id)
    if row is not None:
        row.uri = uri
        return False
    await cut_follows(session, uris, target, blocker, now)
    session.add(AccountBlock(actor_id=blocker.id, target_id=target.id, uri=uri, created_at=now))
    await session.flush()
    return True


async def unblocked_by_remote(
    session: AsyncSession, blocker: Actor, target: Actor | None, uri: str | None
) -> bool:
    """A remote actor's Undo(Block): their block (by its id, else by the pair) is removed."""
    query = select(AccountBlock).where(AccountBlock.actor_id == blocker.id)
    if uri is not None:
        row = await session.scalar(query.where(AccountBlock.uri == uri))
    else:
        row = None
    if row is None and target is not None:
        row = await session.scalar(query.where(AccountBlock.target_id == target.id))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True
