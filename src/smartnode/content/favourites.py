"""A member's likes (Mastodon's favourites) and boosts (reblogs) of any status they may read,
ours or remote: stored as the member's reaction (content/reactions.py, counted on the object)
and federated in the caller's transaction (transactional outbox). Services never commit.

A like is sent to the status's author when the author is remote (Like; Undo{Like} when taken
back). A boost is an Announce to the member's followers and the author (Undo{Announce} when
taken back); only public and unlisted statuses can be boosted, as on Mastodon.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.inputs import Visibility
from smartnode.content.reactions import ANNOUNCE, LIKE, add_reaction, remove_reaction
from smartnode.content.statuses import status_by_id
from smartnode.content.threads import Item, Reader
from smartnode.errors import NotFound, ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import PUBLIC
from smartnode.outbox.publish import new_token, publish
from smartnode.storage.models import Actor, ContentObject, Reaction
from smartnode.storage.windows import IdWindow, newest_first, windowed

READ_FAVOURITES, WRITE_FAVOURITES = "read:favourites", "write:favourites"
BOOSTABLE = (Visibility.PUBLIC.value, Visibility.UNLISTED.value)
#: Reactions read per window when the reader's rights are checked in Python.
SCAN = 200


def _followers(actor: Actor) -> str:
    return actor.followers_uri or NodeUris.collection(actor.uri, "followers")


async def _mine(
    session: AsyncSession, member: Actor, obj: ContentObject, kind: str
) -> Reaction | None:
    return await session.scalar(
        select(Reaction).where(
            Reaction.actor_id == member.id, Reaction.object_id == obj.id, Reaction.kind == kind
        )
    )


def _boost_audience(member: Actor, obj: ContentObject, author: Actor) -> dict[str, Any]:
    """An Announce as Mastodon addresses it: public to all (the followers and the author in
    cc); of an unlisted status to the followers (public and the author in cc)."""
    if obj.visibility == Visibility.PUBLIC.value:
        return {"to": [PUBLIC], "cc": [author.uri, _followers(member)]}
    return {"to": [_followers(member)], "cc": [PUBLIC, author.uri]}


async def favourite(
    session: AsyncSession, uris: NodeUris, member: Actor, status_id: int, now: datetime
) -> Item:
    """The member likes a status they may read (once; a second time changes nothing)."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    if await _mine(session, member, obj, LIKE) is not None:
        return obj, author
    uri = uris.activity(new_token(now))
    if not author.local:
        like = await publish(session, uris, member, "Like", obj=obj.uri, to=[author.uri], now=now)
        uri = like.uri
    await add_reaction(session, uri=uri, obj=obj, actor=member, kind=LIKE, now=now)
    return obj, author


async def unfavourite(
    session: AsyncSession, uris: NodeUris, member: Actor, status_id: int, now: datetime
) -> Item:
    """The member takes their like back (Undo{Like} to a remote author); nothing if none."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    mine = await _mine(session, member, obj, LIKE)
    if mine is None:
        return obj, author
    if not author.local:
        like = {"id": mine.uri, "type": "Like", "actor": member.uri, "object": obj.uri}
        await publish(session, uris, member, "Undo", obj=like, to=[author.uri], now=now)
    await remove_reaction(session, mine)
    return obj, author


async def reblog(
    session: AsyncSession, uris: NodeUris, member: Actor, status_id: int, now: datetime
) -> Item:
    """The member boosts a public or unlisted status (422 for any other), once."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    if obj.visibility not in BOOSTABLE:
        raise ValidationFailed("Validation failed: Reblog of private status is not allowed")
    if await _mine(session, member, obj, ANNOUNCE) is not None:
        return obj, author
    audience = _boost_audience(member, obj, author)
    boost = await publish(session, uris, member, "Announce", obj=obj.uri, now=now, **audience)
    await add_reaction(session, uri=boost.uri, obj=obj, actor=member, kind=ANNOUNCE, now=now)
    return obj, author


async def unreblog(
    session: AsyncSession, uris: NodeUris, member: Actor, status_id: int, now: datetime
) -> Item:
    """The member takes their boost back: Undo{Announce} to whom the Announce went."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    mine = await _mine(session, member, obj, ANNOUNCE)
    if mine is None:
        return obj, author
    audience = _boost_audience(member, obj, author)
    boost = {"id": mine.uri, "type": "Announce", "actor": member.uri, "object": obj.uri}
    await publish(session, uris, member, "Undo", obj=boost, now=now, **audience)
    await remove_reaction(session, mine)
    return obj, author


async def boost_of(session: AsyncSession, member: Actor, obj: ContentObject) -> Reaction:
    """The member's boost of a status (after `reblog`)."""
    found = await _mine(session, member, obj, ANNOUNCE)
    if found is None:
        raise NotFound("Record not found")
    return found


async def reactors(
    session: AsyncSession, reader: Reader, status_id: int, kind: str, window: IdWindow
) -> list[tuple[int, Actor]]:
    """(reaction id, actor) of who liked or boosted a status the reader may read, newest
    first, paged by the reaction's id (as Mastodon pages favourited_by and reblogged_by)."""
    obj, _ = await status_by_id(session, reader, status_id)
    query = (
        select(Reaction.id, Actor)
        .join(Actor, Actor.id == Reaction.actor_id)
        .where(Reaction.object_id == obj.id, Reaction.kind == kind, Actor.deleted_at.is_(None))
    )
    rows = (await session.execute(windowed(query, Reaction.id, window))).all()
    return newest_first([(row_id, actor) for row_id, actor in rows], window)


async def liked_statuses(
    session: AsyncSession, member: Actor, window: IdWindow
) -> list[tuple[int, Item]]:
    """(like id, status) of what the member liked and may still read, newest like first."""
    query = (
        select(Reaction.id, ContentObject, Actor)
        .join(ContentObject, ContentObject.id == Reaction.object_id)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(
            Reaction.actor_id == member.id, Reaction.kind == LIKE,
            ContentObject.deleted_at.is_(None), Actor.deleted_at.is_(None),
        )
    )  # fmt: skip
    rows = (await session.execute(windowed(query, Reaction.id, window, scan=SCAN))).all()
    reader = Reader(member)
    found = [(rid, (o, a)) for rid, o, a in rows if await reader.may_read(session, o, a)]
    return newest_first(found, window)
