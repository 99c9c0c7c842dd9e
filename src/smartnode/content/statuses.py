"""Content as Mastodon apps read it (statuses): one status, an account's statuses, the public
and hashtag timelines, a status's thread, and what a list of statuses needs beside its rows
(the posts they answer, the actors they mention, the reader's own likes and boosts).

Who reads what is threads.Reader's rule (public and unlisted for all; a member also what is
addressed to them, followers-only posts of those they follow, and their own). Lists are keyset
windows (storage/windows.py), newest first. Services never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, Text, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_STATUSES, maybe_member
from smartnode.actors.hiding import hidden_authors
from smartnode.content.board import tag_names
from smartnode.content.inputs import Visibility
from smartnode.content.terms import ANNOUNCEMENT, CALL, EVENT, REPLY
from smartnode.content.threads import Item, Reader, ancestors, descendants
from smartnode.errors import NotFound
from smartnode.matching.terms import fold
from smartnode.storage.models import Actor, ContentObject, Reaction
from smartnode.storage.models_marks import Bookmark, Pin
from smartnode.storage.windows import IdWindow, newest_first, windowed

KINDS = (ANNOUNCEMENT, REPLY, CALL, EVENT)
OPEN_VALUES = (Visibility.PUBLIC.value, Visibility.UNLISTED.value)
#: Rows read per window when a member's reading rights (or a hashtag) are checked in Python.
SCAN = 200
#: The kinds of a reader's marks that are not reactions (companions).
BOOKMARK, PIN = "bookmark", "pin"


def live_statuses() -> Select[ContentObject, Actor]:
    """Live statuses (posts, replies, calls, events) of live authors, with their author."""
    return (
        select(ContentObject, Actor)
        .join(Actor, Actor.id == ContentObject.actor_id)
        .where(
            ContentObject.kind.in_(KINDS),
            ContentObject.deleted_at.is_(None),
            Actor.deleted_at.is_(None),
        )
    )


async def reader_of(session: AsyncSession, principal: Principal) -> Reader:
    """Who reads: the member of a token that may read statuses, else nobody in particular."""
    return Reader(await maybe_member(session, principal, READ_STATUSES))


async def _readable(
    session: AsyncSession, query: Select[ContentObject, Actor], reader: Reader,
    window: IdWindow,
) -> list[Item]:  # fmt: skip
    """The window's rows of `query` the reader may read, newest first."""
    if reader.actor is None:
        query = query.where(ContentObject.visibility.in_(OPEN_VALUES))
        rows = (await session.execute(windowed(query, ContentObject.id, window))).all()
        return newest_first([(obj, author) for obj, author in rows], window)
    rows = (await session.execute(windowed(query, ContentObject.id, window, scan=SCAN))).all()
    found = [(o, a) for o, a in rows if await reader.may_read(session, o, a)]
    return newest_first(found, window)


async def status_by_id(session: AsyncSession, reader: Reader, status_id: int) -> Item:
    """A live status the reader may read (NotFound for any other, as Mastodon answers)."""
    row = (await session.execute(live_statuses().where(ContentObject.id == status_id))).first()
    if row is None or not await reader.may_read(session, row[0], row[1]):
        raise NotFound("Record not found")
    return row[0], row[1]


async def account_statuses(
    session: AsyncSession, reader: Reader, actor: Actor, window: IdWindow,
    *, exclude_replies: bool = False, only_media: bool = False, tagged: str | None = None,
) -> list[Item]:  # fmt: skip
    """An account's statuses the reader may read, newest first; direct messages are not
    listed on a profile, as on Mastodon."""
    query = live_statuses().where(
        ContentObject.actor_id == actor.id,
        ContentObject.visibility != Visibility.DIRECT.value,
    )
    if exclude_replies:
        query = query.where(ContentObject.kind != REPLY)
    if only_media:
        query = query.where(cast(ContentObject.attachments, Text) != "[]")
    if tagged is None:
        return await _readable(session, query, reader, window)
    wanted = fold(tagged.lstrip("#"))
    query = query.where(_coarse_tag(tagged))
    wide = IdWindow(SCAN, window.max_id, window.since_id, window.min_id)
    found = [(o, a) for o, a in await _readable(session, query, reader, wide)
             if wanted in tag_names(o)]  # fmt: skip
    return found[-window.limit :] if window.upward else found[: window.limit]


def _coarse_tag(tag: str) -> ColumnElement[bool]:
    """Rows whose tags mention `tag` somewhere (checked exactly in Python after)."""
    return func.lower(cast(ContentObject.tags, Text)).contains(
        tag.lstrip("#").lower(), autoescape=True
    )


def _origin(
    query: Select[ContentObject, Actor], *, local: bool, remote: bool
) -> Select[ContentObject, Actor]:
    if local and not remote:
        return query.where(ContentObject.local.is_(True))
    if remote and not local:
        return query.where(ContentObject.local.is_(False))
    return query


def _unhidden(query: Select[ContentObject, Actor], viewer: Actor | None,
              now: datetime | None) -> Select[ContentObject, Actor]:  # fmt: skip
    """Without the statuses of those the viewer blocks, mutes or is blocked by."""
    if viewer is None:
        return query
    hidden = hidden_authors(viewer.id, now or datetime.now(UTC))
    return query.where(ContentObject.actor_id.not_in(hidden))


async def public_statuses(
    session: AsyncSession, window: IdWindow, *, local: bool = False, remote: bool = False,
    only_media: bool = False, viewer: Actor | None = None, now: datetime | None = None,
) -> list[Item]:  # fmt: skip
    """The public timeline: public posts, calls and events (no replies), of this node
    (`local`), of others (`remote`), or both, as `viewer` sees it; newest first."""
    query = _origin(live_statuses(), local=local, remote=remote).where(
        ContentObject.visibility == Visibility.PUBLIC.value, ContentObject.kind != REPLY
    )
    query = _unhidden(query, viewer, now)
    if only_media:
        query = query.where(cast(ContentObject.attachments, Text) != "[]")
    rows = (await session.execute(windowed(query, ContentObject.id, window))).all()
    return newest_first([(obj, author) for obj, author in rows], window)


async def tagged_statuses(
    session: AsyncSession, tag: str, window: IdWindow, *, local: bool = False,
    remote: bool = False, viewer: Actor | None = None, now: datetime | None = None,
) -> list[Item]:  # fmt: skip
    """Public statuses with the hashtag `tag` as `viewer` sees them, newest first (a coarse
    SQL match, then the tag itself checked on each row)."""
    wanted = fold(tag.lstrip("#"))
    if not wanted:
        return []
    query = _origin(live_statuses(), local=local, remote=remote).where(
        ContentObject.visibility == Visibility.PUBLIC.value, _coarse_tag(tag)
    )
    query = _unhidden(query, viewer, now)
    rows = (await session.execute(windowed(query, ContentObject.id, window, scan=SCAN))).all()
    found = [(obj, author) for obj, author in rows if wanted in tag_names(obj)]
    return newest_first(found, window)


async def status_thread(
    session: AsyncSession, reader: Reader, obj: ContentObject
) -> tuple[list[Item], list[Item]]:
    """(ancestors, descendants) of a status the reader may read, as they may read them."""
    return await ancestors(session, obj, reader), await descendants(session, obj, reader)


@dataclass(frozen=True, slots=True)
class Companions:
    """What rendering a list of statuses needs beside their rows."""

    #: The stored objects answered, by uri: (row id, author id).
    parents: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: The mentioned actors we know, by uri.
    mentioned: dict[str, Actor] = field(default_factory=dict)
    #: (object id, "like" | "announce") the reader did.
    reacted: frozenset[tuple[int, str]] = frozenset()
    #: The ids the reader bookmarked, and those they pinned.
    bookmarked: frozenset[int] = frozenset()
    pinned: frozenset[int] = frozenset()


def _mention_uris(objs: Iterable[ContentObject]) -> set[str]:
    return {
        tag["href"]
        for obj in objs
        for tag in obj.tags
        if isinstance(tag, dict)
        and tag.get("type") == "Mention"
        and isinstance(tag.get("href"), str)
    }


async def companions(
    session: AsyncSession, objs: Sequence[ContentObject], reader: Actor | None
) -> Companions:
    """The parents, mentioned actors and the reader's reactions, bookmarks and pins of `objs`,
    in three statements at most."""
    parent_uris = {obj.in_reply_to_uri for obj in objs if obj.in_reply_to_uri}
    parents: dict[str, tuple[int, int]] = {}
    if parent_uris:
        rows = await session.execute(
            select(ContentObject.uri, ContentObject.id, ContentObject.actor_id).where(
                ContentObject.uri.in_(parent_uris)
            )
        )
        parents = {uri: (row_id, actor_id) for uri, row_id, actor_id in rows.all()}
    mention_uris = _mention_uris(objs)
    mentioned: dict[str, Actor] = {}
    if mention_uris:
        found = await session.scalars(select(Actor).where(Actor.uri.in_(mention_uris)))
        mentioned = {actor.uri: actor for actor in found.all()}
    ids = [obj.id for obj in objs]
    if reader is None or not ids:
        return Companions(parents, mentioned)
    marks = await _marks(session, reader.id, ids)
    reacted = frozenset((i, kind) for i, kind in marks if kind not in (BOOKMARK, PIN))
    bookmarked = frozenset(i for i, kind in marks if kind == BOOKMARK)
    pinned = frozenset(i for i, kind in marks if kind == PIN)
    return Companions(parents, mentioned, reacted, bookmarked, pinned)


async def _marks(session: AsyncSession, reader_id: int, ids: list[int]) -> list[tuple[int, str]]:
    """(object id, "like" | "announce" | BOOKMARK | PIN) of the reader's marks on `ids`, in
    one statement."""
    rows = await session.execute(
        union_all(
            select(Reaction.object_id, Reaction.kind).where(
                Reaction.actor_id == reader_id, Reaction.object_id.in_(ids)
            ),
            *(select(model.object_id, literal(name)).where(
                model.actor_id == reader_id, model.object_id.in_(ids))
              for model, name in ((Bookmark, BOOKMARK), (Pin, PIN))),
        )
    )  # fmt: skip
    return [(int(i), str(kind)) for i, kind in rows.all()]
