"""Accounts as Mastodon apps read them: any actor we store (ours and remote) by row id or by
`user@domain`, their counts, a member's relationships to them, and lists of followers and
follows by follow id. Lists of followers and follows keep the members' privacy choice
(follow_cases decides). Services never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ScalarSelect, Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.follow_cases import Relation, relations
from smartnode.actors.follows import ACCEPTED, PENDING
from smartnode.actors.hiding import Standing, standings
from smartnode.content.inputs import Visibility
from smartnode.errors import NotFound
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.models_profiles import MemberProfile, Project
from smartnode.storage.windows import IdWindow

OPEN_VALUES = (Visibility.PUBLIC.value, Visibility.UNLISTED.value)


async def account_by_id(session: AsyncSession, account_id: int) -> Actor:
    """A live actor by row id (NotFound, worded as Mastodon's)."""
    actor = await session.get(Actor, account_id)
    if actor is None or actor.deleted_at is not None:
        raise NotFound("Record not found")
    return actor


async def account_by_acct(session: AsyncSession, acct: str, local_domain: str) -> Actor:
    """A live actor by `user` (ours) or `user@domain` (any we store); no fetching."""
    username, _, domain = acct.strip().removeprefix("@").partition("@")
    query = select(Actor).where(
        func.lower(Actor.username) == username.lower(), Actor.deleted_at.is_(None)
    )
    if not domain or domain.lower() == local_domain.lower():
        query = query.where(Actor.local.is_(True))
    else:
        query = query.where(Actor.local.is_(False), func.lower(Actor.domain) == domain.lower())
    actor = await session.scalar(query.limit(1))
    if actor is None:
        raise NotFound("Record not found")
    return actor


@dataclass(frozen=True, slots=True)
class Counts:
    """What an account entity counts (`requests`: follow requests waiting, when asked)."""

    followers: int = 0
    following: int = 0
    statuses: int = 0
    last_status_at: datetime | None = None
    requests: int = 0


def _per_actor(query: Select[Any]) -> ScalarSelect[Any]:
    return query.correlate(Actor).scalar_subquery()


async def counts_of(
    session: AsyncSession, actor_ids: Sequence[int], *, requests: bool = False
) -> dict[int, Counts]:
    """Accepted followers and follows, and public or unlisted statuses, per actor (as far as
    this node knows them), and with `requests` the follow requests waiting: one statement."""
    ids = list(set(actor_ids))
    if not ids:
        return {}
    follows = select(func.count()).select_from(Follow)
    posted = (ContentObject.actor_id == Actor.id, ContentObject.deleted_at.is_(None),
              ContentObject.visibility.in_(OPEN_VALUES))  # fmt: skip
    pending = follows.where(Follow.followed_id == Actor.id, Follow.state == PENDING)
    rows = await session.execute(
        select(
            Actor.id,
            _per_actor(follows.where(Follow.followed_id == Actor.id, Follow.state == ACCEPTED)),
            _per_actor(follows.where(Follow.follower_id == Actor.id, Follow.state == ACCEPTED)),
            _per_actor(select(func.count()).select_from(ContentObject).where(*posted)),
            _per_actor(select(func.max(ContentObject.published_at)).where(*posted)),
            _per_actor(pending) if requests else literal(0),
        ).where(Actor.id.in_(ids))
    )
    found = {i: Counts(int(a or 0), int(b or 0), int(c or 0), d, int(e or 0))
             for i, a, b, c, d, e in rows.all()}  # fmt: skip
    return {i: found.get(i, Counts()) for i in ids}


@dataclass(frozen=True, slots=True)
class Relationship:
    """How a member stands to an account."""

    account_id: int
    following: bool = False
    requested: bool = False
    followed_by: bool = False
    requested_by: bool = False
    standing: Standing = field(default_factory=Standing)


async def relationships(
    session: AsyncSession, member_id: int, account_ids: Sequence[int],
    now: datetime | None = None,
) -> list[Relationship]:  # fmt: skip
    """The member's follows, blocks and mutes (at `now`) to and from each live account named
    (unknown ids left out), in the order asked."""
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return []
    live = set(
        (await session.scalars(
            select(Actor.id).where(Actor.id.in_(ids), Actor.deleted_at.is_(None))
        )).all()
    )  # fmt: skip
    out_rows = await session.execute(
        select(Follow.followed_id, Follow.state).where(
            Follow.follower_id == member_id, Follow.followed_id.in_(ids)
        )
    )
    in_rows = await session.execute(
        select(Follow.follower_id, Follow.state).where(
            Follow.followed_id == member_id, Follow.follower_id.in_(ids)
        )
    )
    outgoing = dict(out_rows.all())
    incoming = dict(in_rows.all())
    stands = await standings(session, member_id, ids, now or datetime.now(UTC))
    return [
        Relationship(
            i, following=outgoing.get(i) == ACCEPTED, requested=outgoing.get(i) == PENDING,
            followed_by=incoming.get(i) == ACCEPTED, requested_by=incoming.get(i) == PENDING,
            standing=stands[i],
        )
        for i in ids
        if i in live
    ]  # fmt: skip


async def relation_window(
    session: AsyncSession, principal: Principal, actor: Actor, relation: Relation,
    window: IdWindow,
) -> list[tuple[int, Actor]]:  # fmt: skip
    """(follow id, actor) of a local actor's followers, follows or follow requests in a
    window of follow ids, newest first (remote actors' lists are not ours to tell: empty)."""
    if not actor.local:
        return []
    _, rows = await relations(session, principal, actor.username, relation,
                              limit=window.limit, after_id=None, window=window)  # fmt: skip
    return [(follow_id, other) for _, other, follow_id in rows]


async def profiles_of(
    session: AsyncSession, actors: Sequence[Actor]
) -> dict[int, MemberProfile | Project]:
    """The profile rows of the local members and projects among `actors` (two queries)."""
    members = [a.id for a in actors if a.local and a.kind == "member"]
    projects = [a.id for a in actors if a.local and a.kind == "project"]
    found: dict[int, MemberProfile | Project] = {}
    if members:
        rows = await session.scalars(
            select(MemberProfile).where(MemberProfile.actor_id.in_(members))
        )
        found.update((row.actor_id, row) for row in rows.all())
    if projects:
        rows2 = await session.scalars(select(Project).where(Project.actor_id.in_(projects)))
        found.update((row.actor_id, row) for row in rows2.all())
    return found


async def pending_requests(session: AsyncSession, actor: Actor) -> int:
    """How many follow requests wait for the actor's answer."""
    count = await session.scalar(
        select(func.count())
        .select_from(Follow)
        .where(Follow.followed_id == actor.id, Follow.state == PENDING)
    )
    return int(count or 0)
