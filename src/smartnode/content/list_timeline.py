"""A list's timeline: the statuses of the accounts on it that the member may read, newest
first, as Mastodon fills a list's feed: public, unlisted and followers-only statuses (a team
list also the team's own posts), no direct ones; a reply to someone else only when it answers
the member, or, by the list's replies policy, someone the member follows (`followed`) or
someone on the list (`list`); `none`: no other replies.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import ACCEPTED
from smartnode.content import statuses
from smartnode.content.inputs import Visibility
from smartnode.content.lists import ListView, accounts_query
from smartnode.content.terms import REPLY
from smartnode.content.threads import Item, Reader
from smartnode.content.timeline import SHOWN
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.windows import IdWindow, newest_first, windowed

TEAM_SHOWN = (*SHOWN, Visibility.TEAM.value)


def _visibilities(found: ListView) -> tuple[str, ...]:
    return TEAM_SHOWN if found.project_id is not None else SHOWN


async def _parent_authors(session: AsyncSession, objs: Sequence[ContentObject]) -> dict[str, int]:
    uris = {o.in_reply_to_uri for o in objs if o.kind == REPLY and o.in_reply_to_uri}
    if not uris:
        return {}
    rows = await session.execute(
        select(ContentObject.uri, ContentObject.actor_id).where(ContentObject.uri.in_(uris))
    )
    return {uri: actor_id for uri, actor_id in rows.all()}


async def _reply_kept(
    session: AsyncSession, member: Actor, found: ListView, obj: ContentObject,
    parents: dict[str, int],
) -> bool:  # fmt: skip
    """Mastodon's rule for a reply on a list's feed (anything else is kept)."""
    if obj.kind != REPLY or obj.in_reply_to_uri is None:
        return True
    parent = parents.get(obj.in_reply_to_uri)
    if parent is None or parent in (obj.actor_id, member.id):
        return parent is not None
    if found.replies_policy == "followed":
        query = select(Follow.id).where(
            Follow.follower_id == member.id, Follow.followed_id == parent, Follow.state == ACCEPTED
        )
    elif found.replies_policy == "list":
        query = _on(found, parent)
    else:
        return False
    return (await session.scalar(query)) is not None


def _on(found: ListView, actor_id: int) -> Select[int]:
    """The account's id when it is on the list (a select of one id or none)."""
    query = accounts_query(found)
    column: ColumnElement[int] = query.selected_columns[0]
    return query.where(column == actor_id)


async def list_timeline(
    session: AsyncSession, member: Actor, found: ListView, window: IdWindow
) -> list[Item]:
    """The window of the list's timeline the member may read, newest first."""
    query = statuses.live_statuses().where(
        ContentObject.actor_id.in_(accounts_query(found)),
        ContentObject.visibility.in_(_visibilities(found)),
    )
    rows = (await session.execute(windowed(query, ContentObject.id, window,
                                           scan=statuses.SCAN))).all()  # fmt: skip
    parents = await _parent_authors(session, [obj for obj, _ in rows])
    reader = Reader(member)
    kept = [(obj, author) for obj, author in rows
            if await reader.may_read(session, obj, author)
            and await _reply_kept(session, member, found, obj, parents)]  # fmt: skip
    return newest_first(kept, window)


async def in_list(session: AsyncSession, member: Actor, found: ListView, item: Item) -> bool:
    """Whether a status belongs to the list's timeline (the streaming API's rule)."""
    obj, author = item
    if obj.visibility not in _visibilities(found) or obj.kind not in statuses.KINDS:
        return False
    on = await session.scalar(_on(found, obj.actor_id))
    if on is None or not await Reader(member).may_read(session, obj, author):
        return False
    return await _reply_kept(session, member, found, obj, await _parent_authors(session, [obj]))
