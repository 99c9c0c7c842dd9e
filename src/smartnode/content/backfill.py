"""Back-fill: once a peer accepted our node actor's Follow, read the open calls and upcoming
public events its node actor lists (`board`) and store those we lack, as if each had been
announced to us: through store_note, so matching, topic feeds and the board treat them alike.

Fetch first (the peer's board, then the authors we do not know, in a session of their own),
then one short write. A call or event we store already, or whose Delete came first, is left
alone, so a second back-fill stores nothing twice. A peer that cannot be read now raises
FetchError and the worker retries the job with backoff; a peer without a board is noted and
left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.peer_states import ACCEPTED, note_error, peer_of_actor
from smartnode.actors.remote import get_remote_actor
from smartnode.actors.resolve import FetchingResolver
from smartnode.content.backfill_read import BoardRead, NoBoard, read_board
from smartnode.content.remote import deleted_before, store_note, stored_object
from smartnode.content.terms import CALL
from smartnode.federation.fetch import FetchBudget, FetchError
from smartnode.inbox.context import InboxContext
from smartnode.job_run import Again, JobRun
from smartnode.storage.models import Actor

log = logging.getLogger("smartnode.peers")
MAX_AUTHORS = 50


class StoredActors:
    """An ActorResolver that only reads rows: the write of a back-fill fetches nothing."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def actor(self, uri: str, *, refresh: bool = False) -> Actor | None:
        return await self.session.scalar(
            select(Actor).where(Actor.uri == uri, Actor.deleted_at.is_(None))
        )

    async def account(self, handle: str) -> Actor | None:
        return None


async def _followed(run: JobRun, actor_uri: str) -> bool:
    """True while the peer is trusted and has accepted our node actor's Follow."""
    async with run.db.session() as session:
        peer = await peer_of_actor(session, actor_uri)
        return peer is not None and peer.ours_state == ACCEPTED


async def _note(run: JobRun, actor_uri: str, error: str) -> None:
    async with run.db.session() as session, session.begin():
        peer = await peer_of_actor(session, actor_uri)
        if peer is not None:
            note_error(peer, error, run.now)


async def _authors(run: JobRun, found: BoardRead) -> dict[str, int]:
    """Row ids of the items' authors, fetched and stored when unknown (FetchError: later)."""
    wanted = list(dict.fromkeys(note.attributed_to for note in found.notes))[:MAX_AUTHORS]
    known: dict[str, int] = {}
    async with run.db.session() as session:
        resolver = FetchingResolver(
            session, run.uris, run.fetcher, now=run.now, signer=run.signer,
            budget=FetchBudget(len(wanted) * 2),
        )  # fmt: skip
        for uri in wanted:
            try:
                actor = await resolver.actor(uri)
                await session.commit()
            except IntegrityError:  # stored meanwhile by another message: use that row
                await session.rollback()
                actor = await get_remote_actor(session, uri)
            if actor is not None and not actor.local:
                known[uri] = actor.id
    return known


async def _store(
    session: AsyncSession, run: JobRun, found: BoardRead, authors: dict[str, int]
) -> list[str]:
    """Store the items we lack; the kinds of those stored."""
    ctx = InboxContext(session, run.settings, run.uris, run.now, StoredActors(session))
    kinds: list[str] = []
    for note in found.notes:
        author_id = authors.get(note.attributed_to)
        author = await session.get(Actor, author_id) if author_id is not None else None
        if author is None or await stored_object(ctx, note.uri) is not None:
            continue
        if await deleted_before(ctx, note.uri, note.attributed_to):
            continue
        kinds.append((await store_note(ctx, note, author)).kind)
    return kinds


async def run_backfill(run: JobRun, payload: dict[str, Any]) -> Again | None:
    """One back-fill of a peer's board (see the module docstring)."""
    actor_uri = str(payload["actor_uri"])
    if not await _followed(run, actor_uri):
        return None
    try:
        found = await read_board(run.fetcher, run.signer, actor_uri, run.now)
        authors = await _authors(run, found)
    except NoBoard as why:
        await _note(run, actor_uri, f"nothing to back-fill: {why}")
        return None
    except FetchError as error:
        await _note(run, actor_uri, f"back-fill failed, will retry: {error.message}")
        raise
    async with run.db.session() as session, session.begin():
        kinds = await _store(session, run, found, authors)
        peer = await peer_of_actor(session, actor_uri)
        if peer is not None:
            peer.backfilled_at = run.now
            calls = kinds.count(CALL)
            log.info(
                "peer %s: back-filled %d calls and %d events (%d items dropped)",
                peer.host, calls, len(kinds) - calls, found.dropped,
            )  # fmt: skip
    return None
