"""Open calls as the native API, the CLI and the apps use them: each use case takes the acting
principal and decides with content/access.py. Services never commit.

Writing needs `write:calls`: a coordinator publishes as the project; the project's
coordinators edit, close, fill, re-open and delete; an admin may delete any call. Reading is
public: a project's calls and the call board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import WRITE_CALLS, maybe_member
from smartnode.actors.records import find_local_actor
from smartnode.content.access import changer, check_change, may_change, posting_as
from smartnode.content.board import (
    BoardFilter,
    BoardSort,
    Position,
    Scanned,
    board_page,
    board_page_before,
)
from smartnode.content.calls import create_call, delete_call, edit_call, local_call, set_state
from smartnode.content.calls_inputs import CallInput, CallUpdate
from smartnode.content.terms import CALL
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject


@dataclass(frozen=True, slots=True)
class CallView:
    """A call with the project that published it, as the edges render it."""

    obj: ContentObject
    author: Actor


async def call_view(session: AsyncSession, obj: ContentObject) -> CallView:
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the project of this call no longer exists")
    return CallView(obj, author)


async def publish_call(
    session: AsyncSession, uris: NodeUris, principal: Principal, slug: str, data: CallInput,
    now: datetime,
) -> CallView:  # fmt: skip
    """Publish an open call as the project `slug` (by one of its coordinators)."""
    project, _member = await posting_as(session, principal, slug, WRITE_CALLS)
    return await call_view(session, await create_call(session, uris, project=project, data=data,
                                                      now=now))  # fmt: skip


async def _changeable(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, removing: bool
) -> ContentObject:
    who = await changer(session, principal, WRITE_CALLS, removing=removing)
    obj = await local_call(session, uris, token)
    await check_change(session, who, obj, "call")
    return obj


async def change_call(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, data: CallUpdate,
    now: datetime,
) -> CallView:  # fmt: skip
    """Edit one of our calls (a coordinator of its project)."""
    obj = await _changeable(session, uris, principal, token, False)
    return await call_view(session, await edit_call(session, uris, obj, data, now))


async def may_change_call(session: AsyncSession, principal: Principal, obj: ContentObject) -> bool:
    """Whether the principal may edit, close and re-open this call (shows the buttons)."""
    member = await maybe_member(session, principal, WRITE_CALLS)
    return member is not None and obj.local and await may_change(session, member, obj)


async def call_to_edit(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str
) -> tuple[CallView, CallInput | None]:
    """One of our calls with its coordinator's input as last saved (None when the call kept
    none), to a coordinator of its project."""
    obj = await _changeable(session, uris, principal, token, False)
    extra = obj.extra if isinstance(obj.extra, dict) else {}
    source = extra.get("source")
    try:
        data = CallInput.model_validate({**dict(source or {}), "visibility": obj.visibility})
    except (TypeError, ValueError, ValidationError):
        data = None
    return await call_view(session, obj), data


async def change_call_state(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, state: str,
    now: datetime,
) -> CallView:  # fmt: skip
    """Close, fill or re-open one of our calls (a coordinator of its project)."""
    obj = await _changeable(session, uris, principal, token, False)
    return await call_view(session, await set_state(session, uris, obj, state, now))


async def remove_call(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, now: datetime
) -> None:
    """Delete one of our calls (a coordinator of its project, or an admin)."""
    obj = await _changeable(session, uris, principal, token, True)
    await delete_call(session, uris, obj, now)


async def read_call(session: AsyncSession, uris: NodeUris, token: str) -> CallView:
    """One of our calls (public or unlisted: calls are never private)."""
    return await call_view(session, await local_call(session, uris, token))


async def list_calls(
    session: AsyncSession, slug: str, *, limit: int, before_id: int | None
) -> tuple[Actor, list[CallView]]:
    """A project's calls (open, closed and filled), newest first (keyset by row id)."""
    project = await find_local_actor(session, slug)
    if project is None or project.kind != "project":
        raise NotFound(f"no project named {slug!r} on this node")
    if project.deleted_at is not None:
        raise Gone(f"{slug!r} was deleted")
    query = select(ContentObject).where(
        ContentObject.actor_id == project.id,
        ContentObject.kind == CALL,
        ContentObject.local.is_(True),
        ContentObject.deleted_at.is_(None),
    )
    if before_id is not None:
        query = query.where(ContentObject.id < before_id)
    rows = await session.scalars(query.order_by(ContentObject.id.desc()).limit(limit))
    return project, [CallView(obj, project) for obj in rows.all()]


@dataclass(frozen=True, slots=True)
class BoardPage:
    """One page of the call board with each call's project; where the next page starts (or,
    read backwards, where the page ahead of it ends; None when there is none), and the soonest
    deadline among its calls and the one past them (the page is the same until then unless a
    call is written)."""

    calls: list[CallView]
    position: Position | None
    changes_at: datetime | None


def _board_page(found: Scanned) -> BoardPage:
    return BoardPage([CallView(obj, author) for obj, author in found.rows], found.position,
                     found.changes_at)  # fmt: skip


async def board(
    session: AsyncSession, wanted: BoardFilter, now: datetime, *, limit: int,
    after: Position | None, sort: BoardSort,
) -> BoardPage:  # fmt: skip
    """One page of the call board, read forwards after `after` (one statement when SQL decides
    alone)."""
    return _board_page(await board_page(session, wanted, now, limit=limit, after=after,
                                        sort=sort))  # fmt: skip


async def board_before(
    session: AsyncSession, wanted: BoardFilter, now: datetime, *, limit: int,
    before: Position, sort: BoardSort,
) -> BoardPage:  # fmt: skip
    """The page of the call board ahead of `before`."""
    return _board_page(await board_page_before(session, wanted, now, limit=limit, before=before,
                                               sort=sort))  # fmt: skip
