"""Follows as the native API, the CLI and the apps use them: each use case takes the acting
principal and decides with actors/acting.py. Services never commit.

A member follows and unfollows as themselves or as a project they coordinate, and answers
their own follow requests (`write:follows`; listing them needs `read:follows`); an admin may
do so for any local actor. Lists of followers and follows are public, except for members who
hide their network: then only they and the admins see the lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_FOLLOWS, WRITE_FOLLOWS, acting_as, live_local
from smartnode.actors.collections import followers_query, following_query
from smartnode.actors.follows import (
    PENDING,
    accept_follow_request,
    follow,
    reject_follow_request,
    unfollow,
)
from smartnode.actors.resolve import ActorResolver
from smartnode.content.social_notices import notify_followed
from smartnode.errors import Forbidden, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.federation.webfinger_client import parse_handle
from smartnode.storage.models import Actor, Follow
from smartnode.storage.windows import IdWindow, newest_first, windowed

Relation = Literal["followers", "following", "requests"]


class NotFollowing(NotFound):
    """An unfollow of an actor that was not followed."""


@dataclass(frozen=True, slots=True)
class Followed:
    """What a follow is now: the followed actor, whether it waits for their answer, and
    whether this call created it."""

    target: Actor
    pending: bool
    created: bool


async def follow_as(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str, target: str,
    resolver: ActorResolver, now: datetime,
) -> Followed:  # fmt: skip
    """The local actor `username` follows `target` (handle or actor URL, of any server)."""
    actor = await acting_as(session, principal, username, WRITE_FOLLOWS)
    row = await follow(session, uris, actor, target, resolver, now)
    followed = await session.get(Actor, row.followed_id)
    assert followed is not None  # the follow row references it
    created = row.created_at == now
    if created and followed.local:
        await notify_followed(session, actor, followed, pending=row.state == PENDING, now=now)
    return Followed(followed, row.state == PENDING, created)


async def follow_state_of(session: AsyncSession, follower: Actor, followed: Actor) -> str | None:
    """Whether `follower` follows `followed`: accepted, pending, or None."""
    state = await session.scalar(
        select(Follow.state).where(
            Follow.follower_id == follower.id, Follow.followed_id == followed.id
        )
    )
    return str(state) if state is not None else None


async def unfollow_as(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str, target: str,
    resolver: ActorResolver, now: datetime,
) -> None:  # fmt: skip
    """The local actor `username` stops following `target` (NotFound when it did not)."""
    actor = await acting_as(session, principal, username, WRITE_FOLLOWS)
    target_uri = await _followed_uri(session, resolver, actor, target)
    if not await unfollow(session, uris, actor, target_uri, now):
        raise NotFollowing(f"{actor.username!r} does not follow {target!r}")


async def _followed_uri(
    session: AsyncSession, resolver: ActorResolver, follower: Actor, target: str
) -> str:
    """The actor id `target` names; a handle is matched against stored follows before any HTTP."""
    if "://" in target:
        return target
    handle = parse_handle(target)
    stored = await session.scalar(
        select(Actor.uri)
        .join(Follow, Follow.followed_id == Actor.id)
        .where(
            Follow.follower_id == follower.id,
            Actor.local.is_(False),
            Actor.domain == handle.host,
            func.lower(Actor.username) == handle.username.lower(),
        )
        .limit(1)
    )
    if stored is not None:
        return stored
    found = await resolver.account(target)
    if found is None:
        raise NotFound(f"no actor found for {target!r}")
    return found.uri


async def answer_follow_request(
    session: AsyncSession, uris: NodeUris, principal: Principal, username: str, follower: str,
    accept: bool, now: datetime,
) -> tuple[Actor, datetime] | None:  # fmt: skip
    """The local actor `username` accepts (the follower and since when returned) or rejects
    a follow request."""
    actor = await acting_as(session, principal, username, WRITE_FOLLOWS)
    if not accept:
        await reject_follow_request(session, uris, actor, follower, now)
        return None
    row = await accept_follow_request(session, uris, actor, follower, now)
    found = await session.get(Actor, row.follower_id)
    if found is None:
        raise NotFound("the follower no longer exists")
    return found, row.created_at


def _pending_query(actor_id: int) -> Select[int, str]:
    """(follow id, follower uri) of pending follows of an actor by live actors."""
    return (
        select(Follow.id, Actor.uri)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == PENDING)
        .where(Actor.deleted_at.is_(None))
    )


async def _lister(
    session: AsyncSession, principal: Principal, username: str, relation: Relation
) -> Actor:
    """The actor whose list is asked for, when the caller may read it."""
    if relation == "requests":
        return await acting_as(session, principal, username, READ_FOLLOWS)
    actor = await live_local(session, username)
    if actor.hide_network and not principal.is_admin:
        own = principal.actor_id == actor.id and principal.allows(READ_FOLLOWS)
        if not own:
            raise Forbidden(f"{actor.username!r} shows the size of their network, not its members")
    return actor


async def relations(
    session: AsyncSession, principal: Principal, username: str, relation: Relation,
    *, limit: int, after_id: int | None, window: IdWindow | None = None,
) -> tuple[Actor, Sequence[tuple[datetime, Actor, int]]]:  # fmt: skip
    """Accepted followers or follows (or pending requests) of a local actor, oldest first:
    (since, actor, follow id) keyset-paged by follow id; newest first in `window` when one is
    given (as the Mastodon API pages them)."""
    actor = await _lister(session, principal, username, relation)
    queries = {"followers": followers_query, "following": following_query,
               "requests": _pending_query}  # fmt: skip
    query = queries[relation](actor.id).add_columns(Follow.created_at, Actor)
    if window is not None:
        rows = (await session.execute(windowed(query, Follow.id, window))).all()
        return actor, newest_first([(since, other, fid) for fid, _, since, other in rows], window)
    if after_id is not None:
        query = query.where(Follow.id > after_id)
    rows = (await session.execute(query.order_by(Follow.id).limit(limit))).all()
    return actor, [(since, other, follow_id) for follow_id, _, since, other in rows]
