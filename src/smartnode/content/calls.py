"""Open calls: a project (through a coordinator) publishes, edits, closes, fills and deletes
calls for work. Each change and its activity are written in the caller's transaction
(transactional outbox); services never commit.

The coordinator's input is kept in `extra["source"]` (re-validated and re-rendered on every
edit), the terms other nodes read in `extra["call"]` (see call_terms). A public call is also
announced by the node actor to its followers (the peer nodes), and its Update and Delete are
addressed to them too, so their call boards stay in step.

A call is filled by a coordinator, or by the acceptance that takes its last place
(`fill_when_taken`); a coordinator re-opens a closed or filled call (`reopen_call`), and raising
`positions` of a filled call above the places taken re-opens it too. Re-opened, it is announced
and pinned again as a new open call is; closed or filled, it is unpinned and its boosts undone.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.applications import ACCEPTED
from smartnode.content.audience import addressing
from smartnode.content.call_boosts import undo_call_boosts
from smartnode.content.call_terms import CLOSED, FILLED, OPEN, call_terms
from smartnode.content.calls_federate import (
    call_author,
    node_announce,
    peer_nodes,
    pin,
    publish_call,
)
from smartnode.content.calls_federate import featured_calls as featured_calls
from smartnode.content.calls_inputs import CallInput, CallUpdate
from smartnode.content.calls_render import rendered
from smartnode.content.calls_to_ap import CALL_CONTEXT
from smartnode.content.inputs import Visibility
from smartnode.content.lifecycle import local_object, retire
from smartnode.content.terms import CALL
from smartnode.errors import Conflict, Forbidden, ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.matching.feeds import refresh_call_feeds
from smartnode.matching.notify import enqueue_call_matching
from smartnode.outbox.publish import new_token
from smartnode.storage import read_ahead
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application
from smartnode.validation_words import validation_message

#: Calls past their deadline a worker sweep closes at most.
EXPIRY_BATCH = 50


async def local_call(session: AsyncSession, uris: NodeUris, token: str) -> ContentObject:
    """One of our calls by token; NotFound if none, Gone if deleted."""
    return await local_object(session, uris.call(token), "call", CALL)


async def call_by_uri(session: AsyncSession, uri: str) -> ContentObject | None:
    """A live call (ours or a remote one we store) by its id; None otherwise."""
    read = read_ahead.local_object(session, uri)  # read with a group of inbox messages
    if read is not None:
        return read if read.kind == CALL and read.deleted_at is None else None
    return await session.scalar(
        select(ContentObject).where(
            ContentObject.uri == uri,
            ContentObject.kind == CALL,
            ContentObject.deleted_at.is_(None),
        )
    )


# ---------------------------------------------------------------- use cases


async def create_call(
    session: AsyncSession, uris: NodeUris, *, project: Actor, data: CallInput, now: datetime
) -> ContentObject:
    """Store a new open call by `project`, publish its Create, have the node announce it."""
    if project.kind != "project":
        raise Forbidden("only projects publish calls")
    if data.closes_at is not None and data.closes_at <= now:
        raise ValidationFailed("closes_at: the deadline has passed already")
    uri = uris.call(new_token(now))
    visibility = Visibility(data.visibility.value)
    obj = ContentObject(
        uri=uri, local=True, actor_id=project.id, project_id=project.id, ap_type="Note",
        kind=CALL, state=OPEN, url=uri, visibility=visibility.value, sensitive=False,
        audience=addressing(visibility, project.uri, []).as_dict(), attachments=[], extra={},
        language=data.language or project.language, published_at=now, updated_at=now,
    )  # fmt: skip
    await rendered(session, uris, obj, data)
    session.add(obj)
    await session.flush()
    await publish_call(session, uris, project, obj, "Create", now)
    if visibility is Visibility.PUBLIC:
        await node_announce(session, uris, project, obj, now)
        await pin(session, uris, project, obj, "Add", now)
    enqueue_call_matching(session, obj, now)
    return obj


def _edited(obj: ContentObject, data: CallUpdate) -> CallInput:
    """The whole input after an edit: the fields given replace the stored ones."""
    source = dict(obj.extra.get("source", {}))
    source.update(data.model_dump(mode="json", exclude_unset=True))
    source["visibility"] = obj.visibility
    try:
        return CallInput.model_validate(source)
    except ValidationError as error:
        raise ValidationFailed(validation_message(error.errors(), whole="call")) from error


async def edit_call(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, data: CallUpdate, now: datetime
) -> ContentObject:
    """Change a live call and publish its Update; its audience never changes. Raising
    `positions` of a filled call above the places taken opens it again."""
    merged = _edited(obj, data)
    if "closes_at" in data.model_fields_set and merged.closes_at and merged.closes_at <= now:
        raise ValidationFailed("closes_at: the deadline has passed already")
    reopens = "positions" in data.model_fields_set and await _position_added(
        session, obj, merged, now
    )
    if reopens:
        obj.state = OPEN
    await rendered(session, uris, obj, merged)
    await _changed(session, uris, obj, now)
    if reopens:
        await _announce_again(session, uris, obj, now)
    return obj


async def _position_added(
    session: AsyncSession, obj: ContentObject, merged: CallInput, now: datetime
) -> bool:
    """True when a filled call now seeks more people than were accepted (deadline ahead)."""
    if obj.state != FILLED or (merged.closes_at is not None and merged.closes_at <= now):
        return False
    return merged.positions > await accepted_count(session, obj)


async def set_state(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, state: str, now: datetime
) -> ContentObject:
    """Close or fill a call (no more applications): its Update says so, and it is unpinned.
    `open` re-opens a closed or filled one (`reopen_call`)."""
    if state == OPEN:
        return await reopen_call(session, uris, obj, now)
    if obj.state == state:
        raise Conflict(f"this call is {state} already")
    if obj.state == FILLED:
        raise Conflict("this call is filled already")
    was_open, obj.state = obj.state == OPEN, state
    return await _announce_state(session, uris, obj, was_open, now)


async def reopen_call(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> ContentObject:
    """Open a closed or filled call again, as it was when published: Update, announced by the
    node actor and the feeds again, pinned again. Its deadline must be ahead."""
    terms = call_terms(obj)
    if terms.state == OPEN:
        raise Conflict("this call is open already")
    if terms.closes_at is not None and terms.closes_at <= now:
        raise Conflict("the call's deadline has passed: set a later closes_at first")
    obj.state = OPEN
    await _rerendered(session, uris, obj)
    await _changed(session, uris, obj, now)
    await _announce_again(session, uris, obj, now)
    return obj


async def _announce_again(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> None:
    """A public call open again: the node actor announces it and the project pins it."""
    if obj.visibility == Visibility.PUBLIC.value:
        project = await call_author(session, obj)
        await node_announce(session, uris, project, obj, now)
        await pin(session, uris, project, obj, "Add", now)


async def accepted_count(session: AsyncSession, obj: ContentObject) -> int:
    """How many applications to the call were accepted (the places taken)."""
    found = await session.scalar(
        select(func.count(Application.id)).where(
            Application.call_id == obj.id, Application.state == ACCEPTED
        )
    )
    return int(found or 0)


async def fill_when_taken(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> bool:
    """After an acceptance: our call whose places are all taken is filled exactly as a
    coordinator filling it would (Update, unpinned, boosts undone); True when it was. The
    call row is locked first (PostgreSQL), so two last acceptances at once still fill it."""
    if not obj.local or obj.deleted_at is not None:
        return False
    locked = await session.scalar(
        select(ContentObject)
        .where(ContentObject.id == obj.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or locked.state == FILLED:
        return False
    if await accepted_count(session, locked) < call_terms(locked).positions:
        return False
    await set_state(session, uris, locked, FILLED, now)
    return True


async def _rerendered(session: AsyncSession, uris: NodeUris, obj: ContentObject) -> None:
    """Render a call again from its stored source (its state changed)."""
    source = obj.extra.get("source")
    if isinstance(source, dict) and source:
        merged = {**source, "visibility": obj.visibility}
        await rendered(session, uris, obj, CallInput.model_validate(merged))


async def _announce_state(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, was_open: bool, now: datetime
) -> ContentObject:
    """After a state change: re-render, send Update, undo boosts, unpin if it was open."""
    await _rerendered(session, uris, obj)  # the text says the call is closed or filled
    await _changed(session, uris, obj, now)
    await undo_call_boosts(session, uris, obj, now)
    if was_open:
        await pin(session, uris, await call_author(session, obj), obj, "Remove", now)
    return obj


async def expired_calls(
    session: AsyncSession, now: datetime, *, limit: int = EXPIRY_BATCH
) -> list[int]:
    """Ids of our open calls whose deadline has passed, soonest deadline first."""
    due = await session.scalars(
        select(ContentObject.id)
        .where(ContentObject.kind == CALL, ContentObject.state == OPEN)
        .where(ContentObject.closes_at <= now, ContentObject.local.is_(True))
        .where(ContentObject.deleted_at.is_(None))
        .order_by(ContentObject.closes_at, ContentObject.id)
        .limit(limit)
    )
    return list(due.all())


async def close_expired_call(
    session: AsyncSession, uris: NodeUris, call_id: int, now: datetime
) -> bool:
    """Close one call past its deadline as a coordinator closing it would (Update, boosts
    undone, unpinned). It is claimed by a conditional UPDATE, so concurrent workers never
    close it twice; False when another did (or it is no longer open)."""
    claimed = await session.execute(
        update(ContentObject)
        .where(ContentObject.id == call_id, ContentObject.state == OPEN)
        .values(state=CLOSED)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    obj = await session.get(ContentObject, call_id, populate_existing=True)
    if obj is None:
        return False
    await _announce_state(session, uris, obj, True, now)
    return True


async def _changed(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> ContentObject:
    project = await call_author(session, obj)
    obj.updated_at = now
    await session.flush()
    await publish_call(session, uris, project, obj, "Update", now)
    await refresh_call_feeds(session, uris, obj, now)
    return obj


async def delete_call(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> None:
    """Delete a call: it answers 410 with a Tombstone, and its audience (and the peers that
    were told of it) is sent Delete."""
    project = await call_author(session, obj)
    peers = await peer_nodes(session, obj)
    await undo_call_boosts(session, uris, obj, now)
    await retire(session, uris, project, obj, now, context=CALL_CONTEXT, also=peers)
