"""What this node knows of the network and of itself, in figures: the domains it has met (its
trusted peers and the domains of remote actors it knows; blocked ones left out) and the counts
an instance document publishes (Mastodon's /api/v1/instance and /api/v1/instance/peers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.blocks import host_of, is_blocked
from smartnode.actors.collections import member_usage
from smartnode.storage.models import Actor, ContentObject, DomainBlock, Peer


@dataclass(frozen=True, slots=True)
class NodeCounts:
    """Live members (all, active this month), our posts, and the domains we know."""

    members: int
    members_active_month: int
    local_posts: int
    domains: int


async def known_domains(session: AsyncSession) -> list[str]:
    """The peers' hosts and the domains of live remote actors, once each, sorted; a domain
    under a block is never listed."""
    peers = await session.scalars(select(Peer.host))
    remote = await session.scalars(
        select(Actor.domain)
        .where(Actor.local.is_(False), Actor.deleted_at.is_(None), Actor.domain.is_not(None))
        .distinct()
    )
    blocked = list(await session.scalars(select(DomainBlock.domain)))
    found = {domain.lower() for domain in (*peers, *remote) if domain}
    return sorted(d for d in found if not is_blocked(host_of(f"https://{d}"), blocked))


async def node_counts(session: AsyncSession, now: datetime) -> NodeCounts:
    """The figures of the instance document."""
    members, active_month, _ = await member_usage(session, now)
    posts = await session.scalar(
        select(func.count())
        .select_from(ContentObject)
        .where(ContentObject.local.is_(True), ContentObject.deleted_at.is_(None))
    )
    return NodeCounts(members, active_month, int(posts or 0), len(await known_domains(session)))
