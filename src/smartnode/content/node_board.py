"""The node's board as the node actor publishes it (`board`, an OrderedCollection at
/actor/board): our open public calls and upcoming public events, newest first, each embedded as
served at its id. A peer that starts following our node actor reads it to back-fill
(content/backfill.py).

Pages are keyset-paged on row ids (`max_id` walks older), so a page costs the same whatever the
board's size. Documents are built by the pure `*_to_ap` functions; the query follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.call_terms import open_calls
from smartnode.content.inputs import Visibility
from smartnode.content.terms import CALL, EVENT
from smartnode.content.to_ap import object_to_ap
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import AS_CONTEXT
from smartnode.storage.models import Actor, ContentObject

BOARD = "board"


def board_uri(node_uri: str) -> str:
    """The node actor's `board` collection."""
    return NodeUris.collection(node_uri, BOARD)


def board_to_ap(uri: str, total: int) -> dict[str, Any]:
    """The collection root: the count and a link to the first page."""
    return {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": NodeUris.collection_page(uri),
    }


def board_page_to_ap(
    uri: str, max_id: int | None, rows: Sequence[tuple[ContentObject, str]], more: bool
) -> dict[str, Any]:
    """One page: each call or event embedded with its own @context, `next` when older exist."""
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": NodeUris.collection_page(uri, max_id=max_id),
        "type": "OrderedCollectionPage",
        "partOf": uri,
        "orderedItems": [object_to_ap(obj, author) for obj, author in rows],
    }
    if more and rows:
        doc["next"] = NodeUris.collection_page(uri, max_id=rows[-1][0].id)
    return doc


def _board_query(now: datetime) -> Select[ContentObject, str]:
    """(object, author uri) of our open public calls and upcoming public events."""
    ends = func.coalesce(ContentObject.ends_at, ContentObject.starts_at)
    open_call = and_(ContentObject.kind == CALL, open_calls(now))
    upcoming_event = and_(ContentObject.kind == EVENT, ends >= now)
    return (
        select(ContentObject, Actor.uri)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(
            ContentObject.local.is_(True),
            ContentObject.deleted_at.is_(None),
            ContentObject.visibility == Visibility.PUBLIC.value,
            Actor.deleted_at.is_(None),
            or_(open_call, upcoming_event),
        )
    )


async def board_total(session: AsyncSession, now: datetime) -> int:
    """totalItems of the board."""
    query = _board_query(now).with_only_columns(func.count(ContentObject.id))
    return int(await session.scalar(query) or 0)


async def board_rows(
    session: AsyncSession, now: datetime, *, limit: int, max_id: int | None
) -> tuple[list[tuple[ContentObject, str]], bool]:
    """One page of (object, author uri), newest first, and whether older ones exist."""
    query = _board_query(now)
    if max_id is not None:
        query = query.where(ContentObject.id < max_id)
    found = (await session.execute(query.order_by(ContentObject.id.desc()).limit(limit + 1))).all()
    return [(row[0], row[1]) for row in found[:limit]], len(found) > limit
