"""Group commit for the inbox edge: concurrent POSTs share one INSERT and one COMMIT.

Each request awaits the commit that holds its row, so nothing is answered 202 before it is
durably stored; a failed commit fails every request in that batch (they answer 503).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage, table
from smartnode.storage.upsert import insert_ignoring_conflicts

log = logging.getLogger(__name__)

MAX_BATCH = 256

_Item = tuple[dict[str, Any], asyncio.Future[None]]


class InboxWriter:
    """Owns one background task that commits queued inbox rows in batches."""

    def __init__(self, db: Database, on_stored: asyncio.Event | None = None) -> None:
        self.db = db
        self.on_stored = on_stored
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(ConnectionError("the node is stopping"))

    async def store(self, row: dict[str, Any]) -> None:
        """Return once `row` is committed (a duplicate counts as stored); raise if it is not."""
        if self._task is None or self._task.done():
            raise ConnectionError("the inbox writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((row, future))
        await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[_Item]) -> None:
        try:
            async with self.db.session() as session, session.begin():
                await insert_ignoring_conflicts(
                    session, table(InboxMessage), [row for row, _ in batch]
                )
        except Exception as error:  # any storage failure: tell every waiting request
            log.error("could not store %d inbox messages: %s", len(batch), error)
            for _, future in batch:
                if not future.done():
                    future.set_exception(ConnectionError("inbox storage failed"))
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)
        if self.on_stored is not None:
            self.on_stored.set()
