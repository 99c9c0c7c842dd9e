"""A member's conversations of direct statuses, as Mastodon lists them.

A conversation is the direct statuses (visibility `direct`) shared by the same people: its
key is the digest of its participants (author and addressees), its id a number taken from the
key. The member reads those they wrote or are addressed to (threads.Reader's rule). It is
unread when its last status is someone else's and newer than the member last read; deleting
it hides it until a newer status comes (ConversationMark). The newest SCAN direct statuses
are grouped, so a very old conversation may not be listed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.audience import recipients
from smartnode.content.inputs import Visibility
from smartnode.content.statuses import live_statuses
from smartnode.content.threads import Item, Reader
from smartnode.errors import NotFound
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_lists import ConversationMark
from smartnode.storage.windows import IdWindow

SCAN = 400
DIRECT = Visibility.DIRECT.value


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation as the member sees it: its last status and the others in it."""

    id: str
    key: str
    last: Item
    unread: bool
    accounts: list[Actor]


def _key(item: Item) -> str:
    obj, author = item
    people = sorted({author.uri, *recipients(obj.audience)})
    return hashlib.sha256("\n".join(people).encode()).hexdigest()


def conversation_id(key: str) -> str:
    return str(int(key[:15], 16))


async def _direct(session: AsyncSession, member: Actor, obj_id: int | None = None) -> list[Item]:
    """The newest direct statuses the member may read (or the one of `obj_id`), newest first."""
    mentioned = cast(ContentObject.audience, Text).contains(member.uri, autoescape=True)
    query = live_statuses().where(ContentObject.visibility == DIRECT,
                                  or_(ContentObject.actor_id == member.id, mentioned))  # fmt: skip
    if obj_id is not None:
        query = query.where(ContentObject.id == obj_id)
    rows = (await session.execute(query.order_by(ContentObject.id.desc()).limit(SCAN))).all()
    reader = Reader(member)
    return [(o, a) for o, a in rows if await reader.may_read(session, o, a)]


async def _marks(session: AsyncSession, member: Actor) -> dict[str, ConversationMark]:
    rows = await session.scalars(
        select(ConversationMark).where(ConversationMark.actor_id == member.id)
    )
    return {mark.key: mark for mark in rows.all()}


async def _people(
    session: AsyncSession, member: Actor, lasts: dict[str, Item]
) -> dict[str, list[Actor]]:
    """The participants of each conversation but the member, as stored actors."""
    wanted = {key: {item[1].uri, *recipients(item[0].audience)} - {member.uri}
              for key, item in lasts.items()}  # fmt: skip
    uris = set().union(*wanted.values()) if wanted else set()
    found = await session.scalars(select(Actor).where(Actor.uri.in_(uris),
                                                      Actor.deleted_at.is_(None)))  # fmt: skip
    actors = {a.uri: a for a in found.all()}
    return {key: [actors[u] for u in sorted(uris) if u in actors] for key, uris in wanted.items()}


async def _grouped(session: AsyncSession, member: Actor) -> list[Conversation]:
    """Every listed conversation, newest last status first."""
    lasts: dict[str, Item] = {}
    for item in await _direct(session, member):
        lasts.setdefault(_key(item), item)
    marks = await _marks(session, member)
    people = await _people(session, member, lasts)
    found = []
    for key, (obj, author) in lasts.items():
        mark = marks.get(key)
        if mark is not None and mark.hidden_id >= obj.id:
            continue
        unread = author.id != member.id and (mark is None or mark.read_id < obj.id)
        found.append(Conversation(conversation_id(key), key, (obj, author), unread, people[key]))
    return found


async def conversations(
    session: AsyncSession, member: Actor, window: IdWindow
) -> list[Conversation]:
    """The window of the member's conversations (by their last status's id), newest first."""
    found = [c for c in await _grouped(session, member) if _in(c.last[0].id, window)]
    if window.upward:
        return found[-window.limit :]
    return found[: window.limit]


def _in(status_id: int, window: IdWindow) -> bool:
    return ((window.max_id is None or status_id < window.max_id)
            and (window.since_id is None or status_id > window.since_id)
            and (window.min_id is None or status_id > window.min_id))  # fmt: skip


async def conversation(session: AsyncSession, member: Actor, wanted: str) -> Conversation:
    """One listed conversation of the member (NotFound for any other)."""
    for one in await _grouped(session, member):
        if one.id == wanted:
            return one
    raise NotFound("Record not found")


async def conversation_of(session: AsyncSession, member: Actor, obj_id: int) -> Conversation | None:
    """The conversation a direct status the member may read belongs to (for streaming)."""
    mine = await _direct(session, member, obj_id)
    if not mine:
        return None
    key = _key(mine[0])
    return next((c for c in await _grouped(session, member) if c.key == key), None)


async def _mark(session: AsyncSession, member: Actor, key: str) -> ConversationMark:
    mark = (await _marks(session, member)).get(key)
    if mark is None:
        mark = ConversationMark(actor_id=member.id, key=key, read_id=0, hidden_id=0)
        session.add(mark)
    return mark


async def mark_read(session: AsyncSession, member: Actor, wanted: str) -> Conversation:
    """The member has read the conversation up to its last status."""
    found = await conversation(session, member, wanted)
    (await _mark(session, member, found.key)).read_id = found.last[0].id
    await session.flush()
    return Conversation(found.id, found.key, found.last, False, found.accounts)


async def hide(session: AsyncSession, member: Actor, wanted: str) -> None:
    """The member deletes the conversation: hidden until a newer status comes."""
    found = await conversation(session, member, wanted)
    (await _mark(session, member, found.key)).hidden_id = found.last[0].id
    await session.flush()
