"""Who may read and who may change content: THE place of these rules.

Reading: a non-public post or activity is read by an actor it is addressed to, or by a follower
when it is addressed to its author's followers, and on its page by the member who wrote it or
coordinates the project that did; everyone else is told it does not exist.
Writing: a member posts as themselves or as a project they coordinate; a post, event or call is
changed by its author or, for a project's, by any coordinator of the project; an admin may
remove any (moderation). Someone who may not change what they cannot read is told it does not
exist either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import acting_member, coordinates, spoken_for
from smartnode.actors.follows import ACCEPTED
from smartnode.actors.records import find_local_actor
from smartnode.content.audience import OPEN
from smartnode.errors import Forbidden, Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject, Follow

OPEN_VALUES = tuple(v.value for v in OPEN)


async def in_audience(
    session: AsyncSession, recipients: list[str], author: Actor, reader_uri: str | None
) -> bool:
    """True when the reader is named in `recipients`, or follows `author` and its followers are."""
    if reader_uri is None:
        return False
    if reader_uri in recipients:
        return True
    if NodeUris.collection(author.uri, "followers") not in recipients:
        return False
    found = await session.scalar(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(
            Follow.followed_id == author.id,
            Follow.state == ACCEPTED,
            Actor.uri == reader_uri,
            Actor.deleted_at.is_(None),
        )
    )
    return found is not None


async def member_reads(
    session: AsyncSession, recipients: list[str], author: Actor, member: Actor
) -> bool:
    """True when a signed-in member of this node reads a non-public post on its page: they
    wrote it, they coordinate the project that did, or it is addressed to them (in_audience)."""
    if member.id == author.id:
        return True
    if author.kind == "project" and await coordinates(session, member, author):
        return True
    return await in_audience(session, recipients, author, member.uri)


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asks for one of our objects or activities at its URL: on a page (`page`) the
    signed-in member (`member`, None for a visitor), else the actor whose valid signature the
    AS2 GET carries (`signer_uri`, None when unsigned)."""

    page: bool
    signer_uri: str | None = None
    member: Actor | None = None


#: The requester, found only when a non-public object needs them (verifying a signature may
#: fetch a key; a page's member is read in a session of its own).
AskedBy = Callable[[], Awaitable[Requester]]


async def requester_reads(
    session: AsyncSession, recipients: list[str], author: Actor, requester: Requester
) -> bool:
    """True when the requester reads a non-public object or activity: on its page as
    member_reads decides, over ActivityPub as in_audience does for the signer."""
    if requester.page:
        member = requester.member
        return member is not None and await member_reads(session, recipients, author, member)
    return await in_audience(session, recipients, author, requester.signer_uri)


async def posting_as(
    session: AsyncSession, principal: Principal, username: str, scope: str
) -> tuple[Actor, Actor]:
    """(author, writer): `username` names the acting member or a project they coordinate."""
    member = await acting_member(session, principal, scope)
    actor = await find_local_actor(session, username)
    if actor is None or actor.kind not in ("member", "project"):
        raise NotFound(f"no member or project named {username!r} on this node")
    if actor.deleted_at is not None:
        raise Gone(f"{username!r} was deleted")
    if actor.id == member.id:
        return actor, member
    if actor.kind == "project" and await coordinates(session, member, actor):
        return actor, member
    raise Forbidden(f"{member.username!r} may not post as {actor.username!r}")


async def may_change(session: AsyncSession, member: Actor, obj: ContentObject) -> bool:
    """The author may change a post; a project's post, any of its coordinators."""
    if obj.actor_id == member.id:
        return True
    author = await session.get(Actor, obj.actor_id)
    return (
        author is not None
        and author.kind == "project"
        and await coordinates(session, member, author)
    )


@dataclass(frozen=True, slots=True)
class Changer:
    """Who asks to change content: the acting member (None: an admin alone), and whether
    this is an admin removing it (moderation: any content)."""

    member: Actor | None
    moderator: bool = False


async def changer(
    session: AsyncSession, principal: Principal, scope: str, *, removing: bool = False
) -> Changer:
    """Who asks, checked before the content is looked up (401/403 first)."""
    if removing and principal.is_admin:
        return Changer(await spoken_for(session, principal), moderator=True)
    return Changer(await acting_member(session, principal, scope))


async def check_change(
    session: AsyncSession, who: Changer, obj: ContentObject, what: str
) -> Actor | None:
    """The member changing `obj` when they may; else NotFound when they cannot read it (not
    public or unlisted), Forbidden otherwise."""
    if who.moderator:
        return who.member
    member = who.member
    if member is not None and await may_change(session, member, obj):
        return member
    if obj.visibility not in OPEN_VALUES:
        raise NotFound(f"no such {what} on this node")
    name = member.username if member is not None else "this token"
    raise Forbidden(f"{name!r} may not change this {what}")
