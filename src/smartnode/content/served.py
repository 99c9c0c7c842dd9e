"""Our content objects and activities as their URLs serve them (api/objects.py renders them):
found by id with their author, when the requester may read them (content/access.py decides),
and an activity about one of our notes, events or calls with that object embedded as it is now.

A non-public object or activity is not found for anyone outside its audience (its existence is
not leaked, as Mastodon does); a deleted one, or one by a deleted author, is found with the
time it was deleted whoever asks (a Tombstone, 410).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.access import AskedBy, requester_reads
from smartnode.content.audience import OPEN, recipients
from smartnode.content.inputs import Visibility
from smartnode.content.notes_to_ap import restore_language_order
from smartnode.content.to_ap import object_to_ap
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import audience
from smartnode.storage.models import Activity, Actor, ContentObject

#: Activities whose object is embedded as it is now.
EMBEDDING = ("Create", "Update")


@dataclass(frozen=True, slots=True)
class ServedObject:
    """One of our objects and its author; `gone_at`: when it (or its author) was deleted."""

    obj: ContentObject
    author: Actor
    gone_at: datetime | None

    @property
    def public(self) -> bool:
        """Public or unlisted: the same answer for everyone."""
        return Visibility(self.obj.visibility) in OPEN


@dataclass(frozen=True, slots=True)
class ServedActivity:
    """One of our activities as served (`document`); `gone_at`: when its embedded object was
    deleted (or, when that object is no longer here, when the activity was made), or when its
    author was deleted."""

    activity: Activity
    document: dict[str, Any]
    gone_at: datetime | None


async def served_object(session: AsyncSession, uri: str, asked_by: AskedBy) -> ServedObject | None:
    """Our object at `uri` with its author, unless it is absent or a non-public one the
    requester may not read (None)."""
    obj = await session.scalar(
        select(ContentObject).where(ContentObject.uri == uri, ContentObject.local.is_(True))
    )
    author = await session.get(Actor, obj.actor_id) if obj is not None else None
    if obj is None or author is None:
        return None
    found = ServedObject(obj, author, obj.deleted_at or author.deleted_at)
    if found.gone_at is not None or found.public:
        return found
    readers = recipients(obj.audience)
    return found if await requester_reads(session, readers, author, await asked_by()) else None


async def served_activity(
    session: AsyncSession, uris: NodeUris, uri: str, asked_by: AskedBy
) -> ServedActivity | None:
    """Our activity at `uri`, unless it is absent or a non-public one the requester may not
    read (None)."""
    found = await session.scalar(select(Activity).where(Activity.uri == uri))
    author = await session.get(Actor, found.actor_id) if found is not None else None
    if found is None or author is None:
        return None
    if not found.public and not await requester_reads(
        session, audience(found.document), author, await asked_by()
    ):
        return None
    doc = await _activity_document(session, uris, found, author)
    if isinstance(doc, datetime):
        return ServedActivity(found, {}, doc)
    return ServedActivity(found, doc, author.deleted_at)


async def _activity_document(
    session: AsyncSession, uris: NodeUris, activity: Activity, author: Actor
) -> dict[str, Any] | datetime:
    """The activity as served, its object embedded as it is now; when that was deleted."""
    doc = restore_language_order(activity.document)
    if not _content_uri(uris, activity.object_uri) or activity.activity_type not in EMBEDDING:
        return doc
    obj = await session.scalar(
        select(ContentObject).where(ContentObject.uri == activity.object_uri)
    )
    if obj is None or obj.deleted_at is not None:
        return obj.deleted_at if obj is not None and obj.deleted_at else activity.created_at
    doc["object"] = object_to_ap(obj, author.uri, context=False)
    return doc


def _content_uri(uris: NodeUris, uri: str | None) -> bool:
    """True when `uri` is one of our notes, events or calls."""
    tokens = (uris.note_token, uris.event_token, uris.call_token)
    return uri is not None and any(token(uri) for token in tokens)
