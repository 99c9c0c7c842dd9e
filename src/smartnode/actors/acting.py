"""Who acts and what they may do to members, projects and teams: THE place of these rules.

Every use case receives the acting principal (accounts/principal.py) and asks here. The rules:
- An action done in someone's name (posting, applying, joining, following) needs a member: a
  member token or session, an app within its scopes, or an admin token with `?as=username`.
- An admin token may always do what only admins do (members, projects, teams, moderation),
  with or without `?as=`; `?as=` then only names the member the action speaks for.
- A member changes their own profile; a project's coordinators change the project and its team.
- Reads of private things need `read` (or its granular form), writes the scope of their kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.projects import Role, team_row
from smartnode.actors.records import find_local_actor
from smartnode.errors import Forbidden, Gone, NotFound, Unauthorized
from smartnode.storage.models import Actor

#: Reads that have no granular form of their own need Mastodon's umbrella.
READ = "read"
READ_ACCOUNTS, WRITE_ACCOUNTS = "read:accounts", "write:accounts"
READ_STATUSES, WRITE_STATUSES = "read:statuses", "write:statuses"
READ_FOLLOWS, WRITE_FOLLOWS = "read:follows", "write:follows"
READ_BLOCKS, WRITE_BLOCKS = "read:blocks", "write:blocks"
READ_MUTES, WRITE_MUTES = "read:mutes", "write:mutes"
READ_NOTIFICATIONS, WRITE_NOTIFICATIONS = "read:notifications", "write:notifications"
READ_APPLICATIONS, WRITE_APPLICATIONS = "read:applications", "write:applications"
WRITE_PROJECTS, WRITE_CALLS, WRITE_EVENTS = "write:projects", "write:calls", "write:events"


async def acting_member(session: AsyncSession, principal: Principal, scope: str) -> Actor:
    """The live local member `principal` acts for, when its grant covers `scope`.

    Unauthorized for nobody signed in; Forbidden for an app without the scope, an admin token
    without `?as=`, or a member deleted since."""
    actor = await session.get(Actor, principal.member_id(scope))
    if actor is None or not actor.local or actor.kind != "member" or actor.deleted_at:
        raise Forbidden("the member of this token no longer exists")
    return actor


async def maybe_member(session: AsyncSession, principal: Principal, scope: str) -> Actor | None:
    """The member a principal acts for when it may read with `scope`; None otherwise (an
    anonymous caller, an admin alone, an app without the scope)."""
    if principal.actor_id is None or not principal.allows(scope):
        return None
    actor = await session.get(Actor, principal.actor_id)
    return actor if actor is not None and actor.deleted_at is None else None


def require_admin(principal: Principal) -> None:
    """Unauthorized for nobody signed in; Forbidden for anyone but an admin token."""
    if principal.kind == "anonymous":
        raise Unauthorized("this needs an admin token: 'Authorization: Bearer <token>'")
    if not principal.is_admin:
        raise Forbidden("this token may not change the node")


async def spoken_for(session: AsyncSession, principal: Principal) -> Actor | None:
    """The member an admin token names with `?as=` (None when it names nobody)."""
    if principal.actor_id is None:
        return None
    return await session.get(Actor, principal.actor_id)


async def coordinates(session: AsyncSession, member: Actor, project: Actor) -> bool:
    """True when `member` is a coordinator of `project` (of any node)."""
    row = await team_row(session, project, member)
    return row is not None and row.role == Role.COORDINATOR.value


async def require_coordinator(session: AsyncSession, project: Actor, member: Actor) -> None:
    """Forbidden unless `member` coordinates `project`."""
    if not await coordinates(session, member, project):
        raise Forbidden(f"only a coordinator of {project.username!r} may do this")


@dataclass(frozen=True, slots=True)
class Manager:
    """Who asks to change a project or its team: the acting member (for an admin, the member
    named with `?as=`, else None), and whether an admin asks."""

    member: Actor | None
    admin: bool = False


async def manager(
    session: AsyncSession, principal: Principal, scope: str = WRITE_PROJECTS
) -> Manager:
    """Who asks, checked before the project is looked up (401/403 first)."""
    if principal.is_admin:
        return Manager(await spoken_for(session, principal), admin=True)
    return Manager(await acting_member(session, principal, scope))


async def require_manages(session: AsyncSession, who: Manager, project: Actor) -> Actor | None:
    """The manager's member when they may change `project`: an admin, or a coordinator."""
    if not who.admin:
        assert who.member is not None  # a non-admin manager is always a member
        await require_coordinator(session, project, who.member)
    return who.member


async def own_profile(
    session: AsyncSession, principal: Principal, member: Actor, scope: str
) -> None:
    """The member themself (within `scope`) or an admin; Forbidden for anyone else."""
    if principal.is_admin:
        return
    acting = await acting_member(session, principal, scope)
    if acting.id != member.id:
        raise Forbidden(f"only {member.username!r} or an admin may do this")


async def live_local(session: AsyncSession, username: str) -> Actor:
    """The live local actor named `username` (any kind); NotFound if none, Gone if deleted."""
    actor = await find_local_actor(session, username)
    if actor is None:
        raise NotFound(f"no member or project named {username!r} on this node")
    if actor.deleted_at is not None:
        raise Gone(f"{username!r} was deleted")
    return actor


async def acting_as(
    session: AsyncSession, principal: Principal, username: str, scope: str
) -> Actor:
    """The local actor `username` when the principal may act as it: an admin as any, a
    member as themselves or as a project they coordinate (who asks is checked first)."""
    if principal.is_admin:
        return await live_local(session, username)
    member = await acting_member(session, principal, scope)
    actor = await live_local(session, username)
    if actor.id == member.id:
        return actor
    if actor.kind == "project" and await coordinates(session, member, actor):
        return actor
    raise Forbidden(f"{member.username!r} may not act as {actor.username!r}")
