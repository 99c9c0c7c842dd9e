"""Tell followers about changes to our actors: Update on profile changes, Delete on deletion.

Call inside the same transaction as the change (transactional outbox).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.feeds import feed_to_ap
from smartnode.actors.to_ap import member_to_ap, node_to_ap, project_to_ap
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import ACTOR_CONTEXT, PUBLIC
from smartnode.matching.profiles import skill_terms
from smartnode.outbox.publish import publish
from smartnode.storage.models import Activity, Actor
from smartnode.storage.models_profiles import MemberProfile, Project
from smartnode.storage.models_work import TopicFeed


async def actor_document(session: AsyncSession, uris: NodeUris, actor: Actor) -> dict[str, Any]:
    """The AS2 document of a local actor, as served at its id."""
    if actor.kind == "member":
        profile = await session.get(MemberProfile, actor.id)
        if profile is None:
            raise RuntimeError(f"member {actor.username} has no profile row")
        return member_to_ap(actor, profile, uris, await skill_terms(session, actor))
    if actor.kind == "project":
        project = await session.get(Project, actor.id)
        if project is None:
            raise RuntimeError(f"project {actor.username} has no project row")
        return project_to_ap(actor, project, uris)
    if actor.kind == "feed":
        feed = await session.get(TopicFeed, actor.id)
        if feed is None:
            raise RuntimeError(f"feed {actor.username} has no topic_feeds row")
        return feed_to_ap(actor, feed, uris)
    return node_to_ap(actor, uris)


async def publish_actor_update(
    session: AsyncSession, uris: NodeUris, actor: Actor, now: datetime
) -> Activity:
    """Update{actor} to the public and the actor's followers (Mastodon refreshes the profile)."""
    document = await actor_document(session, uris, actor)
    document.pop("@context", None)
    return await publish(
        session, uris, actor, "Update", obj=document, to=[PUBLIC],
        cc=[NodeUris.collection(actor.uri, "followers")], now=now,
        extra={"@context": ACTOR_CONTEXT},
    )  # fmt: skip


async def publish_actor_delete(
    session: AsyncSession, uris: NodeUris, actor: Actor, now: datetime
) -> Activity:
    """Delete{actor} to the public and the actor's followers; peers then purge it."""
    return await publish(
        session, uris, actor, "Delete", obj=actor.uri, to=[PUBLIC],
        cc=[NodeUris.collection(actor.uri, "followers")], now=now,
    )  # fmt: skip
