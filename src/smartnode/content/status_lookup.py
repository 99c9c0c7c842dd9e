"""A status found by its URL, as Mastodon's search resolves one: stored already, or fetched from
its origin through the safe fetcher and stored as the inbox stores a remote note (store_note),
when it is public or unlisted and both it and its author are on the origin it was fetched
from. Anything else is nothing (None). Services never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.resolve import FetchingResolver
from smartnode.config import Settings
from smartnode.content.audience import visibility_of
from smartnode.content.inputs import Visibility
from smartnode.content.notes_from_ap import BadNote, note_from_ap, note_type
from smartnode.content.remote import deleted_before, store_note
from smartnode.content.threads import Item
from smartnode.federation.fetch import FetchBudget, FetchError
from smartnode.federation.uris import NodeUris
from smartnode.inbox.context import InboxContext, same_origin
from smartnode.storage.models import Actor, ContentObject

log = logging.getLogger(__name__)
OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)


async def stored_status(session: AsyncSession, url: str) -> Item | None:
    """The live status whose id or URL is `url`."""
    row = (
        await session.execute(
            select(ContentObject, Actor)
            .join(Actor, Actor.id == ContentObject.actor_id)
            .where(or_(ContentObject.uri == url, ContentObject.url == url),
                   ContentObject.deleted_at.is_(None), Actor.deleted_at.is_(None))
            .limit(1)
        )
    ).first()  # fmt: skip
    return (row[0], row[1]) if row is not None else None


async def fetched_status(
    session: AsyncSession, settings: Settings, uris: NodeUris, resolver: FetchingResolver,
    url: str, now: datetime, *, signer: httpx.Auth | None, budget: FetchBudget,
) -> Item | None:  # fmt: skip
    """The status at `url` (a remote note), fetched and stored if we lack it; None when the
    document is no public note of its origin. Transient fetch failures raise FetchError."""
    if uris.is_local(url):
        return None
    try:
        document = await resolver.fetcher.fetch_json(url, signer=signer, budget=budget)
    except FetchError as error:
        if error.code in ("fetch_failed", "fetch_timeout"):
            raise
        log.info("could not fetch %s: %s", url, error.message)
        return None
    if note_type(document.data) is None:
        return None
    try:
        note = note_from_ap(document.data, now)
    except BadNote as error:
        log.info("refused %s: %s", url, error.message)
        return None
    origin_kept = same_origin(note.uri, document.url_final)
    if not origin_kept or not same_origin(note.uri, note.attributed_to):
        return None
    known = await stored_status(session, note.uri)
    if known is not None:
        return known
    author = await resolver.actor(note.attributed_to)
    if author is None or author.local:
        return None
    if visibility_of(note.to, note.cc, author.followers_uri) not in OPEN:
        return None
    ctx = InboxContext(session, settings, uris, now, resolver)
    if await deleted_before(ctx, note.uri, note.attributed_to):
        return None
    return await store_note(ctx, note, author), author
