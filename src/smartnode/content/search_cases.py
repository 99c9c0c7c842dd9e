"""Search as Mastodon apps ask it: accounts, statuses and hashtags for a query.

Accounts: an exact handle (`user`, `@user@host`) of an actor we store, then what the search
index finds (members who opted in, discoverable projects and remote actors: matching/search.py).
Statuses: the public calls, events and posts the index finds (ranked), then live public posts
and events whose text holds the query, as far as the reader may read them. Hashtags: those of
public statuses. `resolve` looks a `user@host` handle up by WebFinger, or fetches an actor's
URL, through the resolver (the safe fetcher), and a status's URL (status_lookup.py). Services
never commit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Text, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import ACCEPTED
from smartnode.actors.resolve import ActorResolver
from smartnode.content.board import tag_names
from smartnode.content.statuses import KINDS, OPEN_VALUES
from smartnode.content.threads import Item, Reader
from smartnode.federation.uris import NodeUris
from smartnode.matching.search import Filters, search
from smartnode.matching.terms import fold
from smartnode.storage.models import Actor, ContentObject, Follow

#: Rows read when a list is filtered in Python (readability, hashtags).
SCAN = 200
MAX_QUERY = 200
#: Search documents that are statuses.
STATUS_KINDS = ("call", "event", "post")
#: Fetches and stores the status at a URL (content/status_lookup.py), or None.
Fetch = Callable[[str], Awaitable[Item | None]]
_HANDLE = re.compile(r"^@?([A-Za-z0-9_.\-]{1,100})(?:@([A-Za-z0-9.\-]{1,253}(?::\d{1,5})?))?$")


@dataclass(frozen=True, slots=True)
class Query:
    """What is searched: the words, the page (`offset`, `limit`) and who asks."""

    q: str
    limit: int
    offset: int = 0
    reader: Actor | None = None


def handle_parts(q: str, uris: NodeUris) -> tuple[str, str | None] | None:
    """`(username, host)` of a handle (`host` None for ours), else None."""
    found = _HANDLE.match(q.strip())
    if found is None:
        return None
    username, host = found.group(1), found.group(2)
    if host is not None and host.lower() == uris.domain.lower():
        host = None
    return username, host.lower() if host else None


def is_url(q: str) -> bool:
    return q.startswith(("https://", "http://")) and len(q) <= 2000 and " " not in q


async def _by_handle(session: AsyncSession, q: str, uris: NodeUris) -> Actor | None:
    parts = handle_parts(q, uris)
    if parts is None:
        return None
    username, host = parts
    query = select(Actor).where(Actor.deleted_at.is_(None),
                                func.lower(Actor.username) == username.lower())  # fmt: skip
    if host is None:
        query = query.where(Actor.local.is_(True))
    else:
        query = query.where(Actor.local.is_(False), func.lower(Actor.domain) == host)
    return await session.scalar(query.limit(1))


async def _actors_by_uri(session: AsyncSession, uris: list[str]) -> list[Actor]:
    if not uris:
        return []
    rows = {a.uri: a for a in await session.scalars(
        select(Actor).where(Actor.uri.in_(uris), Actor.deleted_at.is_(None)))}  # fmt: skip
    return [rows[u] for u in uris if u in rows]


async def _followed_ids(session: AsyncSession, reader: Actor) -> set[int]:
    rows = await session.scalars(select(Follow.followed_id).where(
        Follow.follower_id == reader.id, Follow.state == ACCEPTED))  # fmt: skip
    return set(rows)


async def find_accounts(
    session: AsyncSession, uris: NodeUris, wanted: Query, *, following: bool = False,
    resolver: ActorResolver | None = None,
) -> list[Actor]:  # fmt: skip
    """Accounts for the query: the resolved or exact handle first, then the index's finds;
    `following`: only those the reader follows."""
    q = wanted.q.strip()
    found: list[Actor] = []
    if resolver is not None and is_url(q):
        actor = await resolver.actor(q)
        found += [actor] if actor is not None else []
    elif resolver is not None and (parts := handle_parts(q, uris)) and parts[1]:
        actor = await resolver.account(f"{parts[0]}@{parts[1]}")
        found += [actor] if actor is not None else []
    else:
        exact = await _by_handle(session, q, uris)
        found += [exact] if exact is not None else []
    if q and not is_url(q):
        page = await search(session, q[:MAX_QUERY], Filters(kinds=("member", "project")),
                            limit=min(50, wanted.offset + wanted.limit))  # fmt: skip
        found += await _actors_by_uri(session, [hit.uri for hit in page.hits])
    unique = list({a.id: a for a in found}.values())
    if following and wanted.reader is not None:
        followed = await _followed_ids(session, wanted.reader)
        unique = [a for a in unique if a.id in followed]
    return unique[wanted.offset : wanted.offset + wanted.limit]


def _public() -> ColumnElement[bool]:
    return ContentObject.visibility.in_(OPEN_VALUES)


async def _items(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[Item]:
    rows = await session.execute(
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(ContentObject.kind.in_(KINDS), ContentObject.deleted_at.is_(None),
               Actor.deleted_at.is_(None), *conditions)
        .order_by(ContentObject.id.desc())
        .limit(SCAN)
    )  # fmt: skip
    return [(obj, author) for obj, author in rows.all()]


async def find_statuses(
    session: AsyncSession, wanted: Query, *, account_id: int | None = None,
    fetch: Fetch | None = None,
) -> list[Item]:  # fmt: skip
    """Statuses for the query that the reader may read: a status by its URL (stored, else
    fetched when `fetch` is given), the index's calls, events and posts, then public posts and
    events whose text holds the words."""
    q = wanted.q.strip()
    if is_url(q):
        items = await _items(session, or_(ContentObject.uri == q, ContentObject.url == q))
        if not items and fetch is not None:
            items = [fetched] if (fetched := await fetch(q)) is not None else []
    elif not q:
        return []
    else:
        page = await search(session, q[:MAX_QUERY], Filters(kinds=STATUS_KINDS),
                            limit=min(50, wanted.offset + wanted.limit))  # fmt: skip
        indexed = {obj.uri: (obj, a) for obj, a in await _items(
            session, ContentObject.uri.in_([h.uri for h in page.hits]))}  # fmt: skip
        text = func.lower(ContentObject.content).contains(q.lower()[:MAX_QUERY], autoescape=True)
        items = [indexed[h.uri] for h in page.hits if h.uri in indexed]
        items += await _items(session, _public(), text)
    reader = Reader(wanted.reader)
    found: list[Item] = []
    for obj, author in {obj.id: (obj, author) for obj, author in items}.values():
        if account_id is not None and author.id != account_id:
            continue
        if await reader.may_read(session, obj, author):
            found.append((obj, author))
    return found[wanted.offset : wanted.offset + wanted.limit]


async def find_hashtags(session: AsyncSession, wanted: Query) -> list[str]:
    """Hashtags of public statuses that begin with the query (folded), most used first."""
    start = fold(wanted.q.strip().lstrip("#"))
    if not start or is_url(wanted.q.strip()):
        return []
    coarse = func.lower(cast(ContentObject.tags, Text)).contains(start, autoescape=True)
    counts: dict[str, int] = {}
    for obj, _ in await _items(session, _public(), coarse):
        for name in tag_names(obj):
            if name.startswith(start):
                counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts, key=lambda n: (-counts[n], n))
    return ranked[wanted.offset : wanted.offset + wanted.limit]
