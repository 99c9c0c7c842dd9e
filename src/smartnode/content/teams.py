"""Project teams across nodes: who is in a project's team with which role, and the activities
that change it (Add / Remove on the project's members collection)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import Role, add_to_team
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import publish
from smartnode.storage.models import Actor, ProjectMember


async def add_member(
    session: AsyncSession,
    uris: NodeUris,
    project: Actor,
    member: Actor,
    role: Role,
    now: datetime,
) -> ProjectMember:
    """Put `member` (of any node) in one of our projects' team and publish the Add."""
    row = await add_to_team(session, project, member, role, now)
    members = NodeUris.collection(project.uri, "members")
    followers = project.followers_uri or NodeUris.collection(project.uri, "followers")
    await publish(
        session, uris, project, "Add", obj=member.uri, to=[member.uri, followers], now=now,
        extra={"target": {"id": members, "type": "OrderedCollection", "attributedTo": project.uri},
               "smartRole": role.value},
    )  # fmt: skip
    return row
